// The client's one loop: follow the event stream, reconnecting with backoff and resuming with
// Last-Event-ID; where the stream cannot be had, poll and try the stream again now and then;
// stop for good on 401/403. The loop decides what to do next; the client (SyncHost) holds
// the state and tells the user.
import { KeyRevealFailed } from './api-key.js'
import { Backoff } from './backoff.js'
import type { LlmConfigAuthError } from './errors.js'
import type { HttpContext } from './http.js'
import type { ResolvedOptions } from './options.js'
import { pollOnce } from './poll.js'
import type { ServedConfig } from './served-config.js'
import { watchOnce } from './watch-stream.js'

export interface SyncHost {
  readonly context: HttpContext
  readonly options: ResolvedOptions
  /** The latest version received from the service in this process (not from the cache file). */
  readonly serviceVersion: number | undefined
  stopped: () => boolean
  /**
   * A configuration from the service. A stream's events are versions in order (one not newer
   * than the held one is a repeat); a poll's answer is the current state, whatever its version.
   * Rejects with KeyRevealFailed when the version's key could not be revealed (not taken).
   */
  receive: (config: ServedConfig, source: 'stream' | 'poll') => Promise<void>
  /** The service confirmed the held copy is current. */
  confirmed: () => void
  unreachable: (error: Error) => void
  failed: (error: LlmConfigAuthError) => void
  warn: (message: string) => void
  /** Resolves after `ms`, or at once on close. */
  sleep: (ms: number) => Promise<void>
}

export async function syncLoop (host: SyncHost): Promise<void> {
  const { options } = host
  const backoff = new Backoff({ baseMs: options.backoffBaseMs, capMs: options.backoffCapMs })
  let mode: 'stream' | 'poll' = 'stream'
  let streamRetryAt = 0
  while (!host.stopped()) {
    let delay: number
    if (mode === 'stream') {
      const resumeAfter = host.serviceVersion
      const outcome = await watchOnce(host.context, { silenceMs: options.streamSilenceMs, idleMs: options.streamIdleMs }, resumeAfter, {
        // Flowing bytes on a resumed stream mean nothing newer exists: the copy is current.
        flowing: () => { if (resumeAfter !== undefined) host.confirmed() },
        config: (config) => host.receive(config, 'stream'),
        warning: host.warn
      })
      if (host.stopped()) return
      if (outcome.kind === 'auth') return host.failed(outcome.error)
      if (outcome.kind === 'unavailable') {
        host.warn(`the event stream cannot be had (${outcome.reason}); polling every ${options.pollIntervalMs} ms`)
        mode = 'poll'
        streamRetryAt = Date.now() + options.streamRetryMs
        continue
      }
      if (outcome.kind === 'ended') {
        if (outcome.flowedMs >= options.healthyResetMs) backoff.reset()
        delay = backoff.next()
      } else {
        host.unreachable(outcome.error)
        delay = backoff.next(outcome.retryAfterMs)
      }
    } else {
      const outcome = await pollOnce(host.context, host.serviceVersion).then(async (outcome) => {
        if (outcome.kind === 'config') await host.receive(outcome.config, 'poll')
        return outcome
      }).catch((error: unknown) => {
        if (error instanceof KeyRevealFailed) return { kind: 'retry' as const, error, retryAfterMs: error.retryAfterMs }
        throw error
      })
      if (host.stopped()) return
      if (outcome.kind === 'auth') return host.failed(outcome.error)
      if (outcome.kind === 'retry') {
        host.unreachable(outcome.error)
        delay = backoff.next(outcome.retryAfterMs)
      } else {
        if (outcome.kind === 'unchanged') host.confirmed()
        backoff.reset()
        delay = options.pollIntervalMs
        if (Date.now() + delay >= streamRetryAt) mode = 'stream'
      }
    }
    await host.sleep(delay)
  }
}
