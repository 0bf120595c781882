// One connection to GET /llm-config/watch, read until it ends. The outcome tells the loop what
// happened: the stream flowed and then ended (reconnect, resuming with Last-Event-ID); it
// cannot be had here (an answer that is not an event stream, or one whose body stays silent:
// a proxy that buffers it), so poll instead; or a failure to retry or to stop on.
import { KeyRevealFailed } from './api-key.js'
import { failureOf, headers, networkFailure, type Failure, type HttpContext } from './http.js'
import { isServedConfig, type ServedConfig } from './served-config.js'
import { SseParser } from './sse-parser.js'

export interface WatchTimings {
  /** No byte within this long of the answer's head: a buffering proxy; poll instead. */
  silenceMs: number
  /** No byte (not even a heartbeat) for this long on a flowing stream: a dead connection; reconnect. */
  idleMs: number
}

export type WatchOutcome =
  | { kind: 'ended', flowedMs: number, error: Error }
  | { kind: 'unavailable', reason: string }
  | Failure

export interface WatchHandlers {
  /** The first bytes arrived: the stream is live (the server sends `retry:` at once). */
  flowing: () => void
  /** A configuration event, in order; awaited before the next one is read. KeyRevealFailed ends the stream as a failure to retry. */
  config: (config: ServedConfig) => Promise<void>
  warning: (message: string) => void
}

const what = 'watching the configuration'

export async function watchOnce (context: HttpContext, timings: WatchTimings, lastEventId: number | undefined, on: WatchHandlers): Promise<WatchOutcome> {
  const controller = new AbortController()
  const stop = (reason: Error) => controller.abort(reason)
  const closing = () => stop(new Error('closed'))
  context.closing.addEventListener('abort', closing, { once: true })
  let timer: ReturnType<typeof setTimeout> | undefined
  const arm = (ms: number, reason: string) => {
    clearTimeout(timer)
    timer = setTimeout(() => stop(new Error(reason)), ms)
  }
  try {
    // One deadline for the head and the first bytes: a proxy may hold either.
    arm(timings.silenceMs, `no data within ${timings.silenceMs} ms`)
    let response: Response
    try {
      response = await context.fetch(`${context.baseUrl}/llm-config/watch`, {
        headers: headers(context, {
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) })
        }),
        signal: controller.signal
      })
    } catch (error) {
      if (silent(controller.signal)) return { kind: 'unavailable', reason: `the stream delivered ${(controller.signal.reason as Error).message} (a buffering proxy?)` }
      return networkFailure(error, context, what)
    }
    if (!response.ok) return await failureOf(response, context, what)
    const type = response.headers.get('content-type') ?? ''
    if (!type.startsWith('text/event-stream') || response.body === null) {
      await response.body?.cancel()
      return { kind: 'unavailable', reason: `the answer is not an event stream (content-type ${JSON.stringify(type)})` }
    }
    return await read(context, response.body, controller.signal, timings, on, arm, () => clearTimeout(timer))
  } finally {
    clearTimeout(timer)
    context.closing.removeEventListener('abort', closing)
    if (!controller.signal.aborted) controller.abort(new Error('done'))
  }
}

function silent (signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof Error && signal.reason.message.startsWith('no data')
}

async function read (
  context: HttpContext, body: ReadableStream<Uint8Array>, signal: AbortSignal, timings: WatchTimings, on: WatchHandlers,
  arm: (ms: number, reason: string) => void, disarm: () => void
): Promise<WatchOutcome> {
  const reader = body.getReader()
  const cancel = () => { reader.cancel(signal.reason).catch(() => {}) }
  signal.addEventListener('abort', cancel, { once: true })
  const decoder = new TextDecoder()
  const parser = new SseParser()
  let flowingSince: number | undefined
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (flowingSince === undefined) {
        flowingSince = Date.now()
        on.flowing()
      }
      disarm() // handling an event (a key reveal, say) is not silence on the stream
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        if (event.event !== 'config') continue
        let config: unknown
        try {
          config = JSON.parse(event.data)
        } catch {}
        if (isServedConfig(config)) await on.config(config)
        else on.warning(`ignored a watch event (id ${String(event.id)}) that is not a configuration`)
      }
      arm(timings.idleMs, `the stream was silent for ${timings.idleMs} ms (no heartbeat)`)
    }
    if (flowingSince === undefined) return networkFailure(new Error('the stream ended before any data'), context, what)
    return { kind: 'ended', flowedMs: Date.now() - flowingSince, error: new Error('the service ended the stream') }
  } catch (error) {
    if (error instanceof KeyRevealFailed) return { kind: 'retry', error, retryAfterMs: error.retryAfterMs }
    const reason = signal.aborted ? signal.reason as Error : error as Error
    if (flowingSince === undefined) {
      if (silent(signal)) return { kind: 'unavailable', reason: `the stream delivered ${reason.message} (a buffering proxy?)` }
      return networkFailure(reason, context, what)
    }
    return { kind: 'ended', flowedMs: Date.now() - flowingSince, error: reason }
  } finally {
    signal.removeEventListener('abort', cancel)
  }
}
