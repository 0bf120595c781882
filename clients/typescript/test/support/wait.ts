// Waiting on a client's events with a deadline, never for a fixed time.
import type { ChangeEvent, LlmConfigClient, Status } from '../../src/index.js'

export const DEADLINE_MS = 10_000

/** Resolves with the first change event that satisfies `accept`; rejects after `timeoutMs`. */
export function nextChange (client: LlmConfigClient, accept: (event: ChangeEvent) => boolean = () => true, timeoutMs = DEADLINE_MS): Promise<ChangeEvent> {
  return new Promise((resolve, reject) => {
    const listener = (event: ChangeEvent) => {
      if (!accept(event)) return
      clearTimeout(timer)
      client.off('change', listener)
      resolve(event)
    }
    const timer = setTimeout(() => {
      client.off('change', listener)
      reject(new Error(`no matching change within ${timeoutMs} ms (holding version ${client.config?.version}, status ${client.status})`))
    }, timeoutMs)
    client.on('change', listener)
  })
}

/** Resolves once the client's status is `status` (at once if it already is). */
export function untilStatus (client: LlmConfigClient, status: Status, timeoutMs = DEADLINE_MS): Promise<void> {
  if (client.status === status) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const listener = (now: Status) => {
      if (now !== status) return
      clearTimeout(timer)
      client.off('status', listener)
      resolve()
    }
    const timer = setTimeout(() => {
      client.off('status', listener)
      reject(new Error(`status did not become ${status} within ${timeoutMs} ms (it is ${client.status}: ${client.error?.message ?? 'no error'})`))
    }, timeoutMs)
    client.on('status', listener)
  })
}

/** Polls a condition every 10 ms until it holds; rejects after `timeoutMs`. */
export async function until (condition: () => boolean, what: string, timeoutMs = DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
