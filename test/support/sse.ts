// A small Server-Sent Events client for tests: opens a stream on a listening app with
// node:http (one socket per stream, no pooling), parses it as the HTML standard says
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
// and lets a test wait, with a bound, for the next event or comment.
import { request, type IncomingHttpHeaders } from 'node:http'
import type { App } from '../../src/app.js'
import type { LlmConfig } from '../../src/llm-config/config/schemas.js'

export interface SseEvent { id: string | undefined, event: string, data: string }

interface Teardown { teardown: (fn: () => unknown) => void }

/** How long a test waits for something that should come at once. Generous: a bound, not a timing. */
export const WAIT_MS = 5_000

export class SseStream {
  readonly events: SseEvent[] = []
  readonly comments: string[] = []
  /** The value of `retry:` fields seen, in order. */
  readonly retries: number[] = []
  /** Whether the server ended the stream. */
  ended = false
  /** The response body when it was not an event stream (a problem document). */
  body = ''
  /** Everything received on an event stream, as sent. */
  raw = ''
  private read = 0
  private buffer = ''
  private pending: { id: string | undefined, event: string, data: string[] | undefined } = { id: undefined, event: '', data: undefined }
  private lastId: string | undefined
  private waiters = new Set<() => void>()

  constructor (readonly status: number, readonly headers: IncomingHttpHeaders, private readonly destroy: () => void) {}

  close (): void { this.destroy() }

  /** The next event not yet returned by next(), waiting at most `timeoutMs` for it. */
  async next (timeoutMs = WAIT_MS): Promise<SseEvent> {
    await this.until(() => this.events.length > this.read, timeoutMs, `event #${this.read + 1}`)
    return this.events[this.read++] as SseEvent
  }

  /** The next `count` events, as configurations (each checked to be a `config` event whose id is its version). */
  async configs (count: number, timeoutMs = WAIT_MS): Promise<LlmConfig[]> {
    const configs: LlmConfig[] = []
    for (let i = 0; i < count; i++) {
      const event = await this.next(timeoutMs)
      if (event.event !== 'config') throw new Error(`expected a config event, got ${JSON.stringify(event)}`)
      const config = JSON.parse(event.data) as LlmConfig
      if (event.id !== String(config.version)) throw new Error(`event id ${event.id} is not the version ${config.version}`)
      configs.push(config)
    }
    return configs
  }

  /** Events received but not yet returned by next(). */
  unread (): SseEvent[] { return this.events.slice(this.read) }

  /** Resolves once `condition` holds; rejects after `timeoutMs`. */
  until (condition: () => boolean, timeoutMs = WAIT_MS, what = 'the condition'): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events so far: ${JSON.stringify(this.events.map((e) => e.id))}`))
      }, timeoutMs)
      this.waiters.add(check)
    })
  }

  /** @internal */
  push (chunk: string): void {
    if (this.status !== 200) this.body += chunk
    else {
      this.raw += chunk
      this.parse(chunk)
    }
    this.notify()
  }

  /** @internal */
  end (): void {
    this.ended = true
    this.notify()
  }

  private notify (): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  private parse (chunk: string): void {
    this.buffer += chunk
    const lines = this.buffer.split(/\r\n|\r|\n/)
    this.buffer = lines.pop() ?? '' // an incomplete line waits for the rest
    for (const line of lines) {
      if (line === '') {
        // Dispatch: an event without data is not dispatched, but its id still counts.
        if (this.pending.id !== undefined) this.lastId = this.pending.id
        if (this.pending.data !== undefined) {
          this.events.push({ id: this.lastId, event: this.pending.event || 'message', data: this.pending.data.join('\n') })
        }
        this.pending = { id: undefined, event: '', data: undefined }
      } else if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trimStart())
      } else {
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'data') (this.pending.data ??= []).push(value)
        else if (field === 'event') this.pending.event = value
        else if (field === 'id') this.pending.id = value
        else if (field === 'retry' && /^\d+$/.test(value)) this.retries.push(Number(value))
      }
    }
  }
}

/** Starts the app on an ephemeral port of 127.0.0.1 (once) and gives its base URL. */
export async function listen (app: App): Promise<string> {
  const address = app.server.address()
  if (address !== null && typeof address === 'object') return `http://127.0.0.1:${address.port}`
  await app.listen({ port: 0, host: '127.0.0.1' })
  const bound = app.server.address()
  if (bound === null || typeof bound !== 'object') throw new Error('the app is not listening on a port')
  return `http://127.0.0.1:${bound.port}`
}

/**
 * GET /llm-config/watch on a listening app. Resolves once the response's head arrived;
 * the stream is closed at teardown (and can be closed before with close()).
 */
export async function watch (t: Teardown, app: App, headers: Record<string, string> = {}): Promise<SseStream> {
  const base = await listen(app)
  return await new Promise((resolve, reject) => {
    const req = request(`${base}/llm-config/watch`, { headers, agent: false }, (res) => {
      const stream = new SseStream(res.statusCode ?? 0, res.headers, () => req.destroy())
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => stream.push(chunk))
      res.on('end', () => stream.end())
      res.on('close', () => stream.end())
      res.on('error', () => stream.end())
      t.teardown(() => stream.close())
      resolve(stream)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Polls `probe` until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function eventually<T> (probe: () => Promise<T | undefined>, timeoutMs = 2_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
