// Delivers each new version to every watcher of this replica, in order, exactly once.
//
// Built for thousands of watchers (docs/benchmarks.md, "Fan-out"): a version's event is
// serialised once and framed once (one Buffer, chunk framing included), and one loop writes
// that same Buffer to every watcher's socket, yielding to the event loop every
// YIELD_EVERY watchers so reads and writes keep being answered. Only a watcher with a gap
// (it connected with Last-Event-ID, or it is still catching up) reads the history, on its own.
// One heartbeat timer serves all watchers, in the same slices.
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { LlmConfig } from '../config/schemas.js'

/** Watchers written to before the loop lets other work run. */
const YIELD_EVERY = 1000
/**
 * Bytes a watcher may leave unread before it is dropped: a client that stopped reading would
 * otherwise hold every later event in this process. It reconnects and resumes with Last-Event-ID.
 */
const MAX_UNREAD_BYTES = 1 << 20

const CRLF = Buffer.from('\r\n')
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** An SSE event as the bytes to write: with HTTP/1.1 chunk framing, and without (HTTP/1.0). */
export interface Frame { chunked: Buffer, plain: Buffer }

export function frame (text: string): Frame {
  const plain = Buffer.from(text)
  return { plain, chunked: Buffer.concat([Buffer.from(`${plain.length.toString(16)}\r\n`), plain, CRLF]) }
}

const HEARTBEAT = frame(': heartbeat\n\n')

export class Watcher {
  /** The last version written to this watcher. */
  last = 0
  /** Its catch-up from the history is running: the fan-out leaves it alone meanwhile. */
  catchingUp = false
  /** A version was published while it caught up: its catch-up must look again before it stops. */
  behind = false
  private readonly socket: Socket
  private readonly chunked: boolean

  /** `response` has sent its head (flushHeaders); from here on the events go to its socket. `id`: its request's, for logs. */
  constructor (private readonly response: ServerResponse, readonly id: string) {
    this.socket = response.socket as Socket
    // Written on the socket itself, framed as the response's head announced.
    this.chunked = (response as ServerResponse & { chunkedEncoding: boolean }).chunkedEncoding
  }

  get open (): boolean {
    return !this.response.writableEnded && !this.socket.destroyed
  }

  write (event: Frame): void {
    if (!this.open) return
    if (this.socket.writableLength > MAX_UNREAD_BYTES) {
      this.socket.destroy() // 'close' removes it from the fan-out
      return
    }
    this.socket.write(this.chunked ? event.chunked : event.plain)
  }

  /** Writes `event`, the event of `version`, unless this watcher has that version already. */
  send (version: number, event: Frame): void {
    if (version <= this.last) return
    this.write(event)
    this.last = version
  }

  end (): void {
    this.response.end() // the last chunk, through the response, which knows its framing
  }
}

export interface FanOutOptions {
  /** The event of a version (memoised by the caller). */
  eventFor: (config: LlmConfig) => Frame
  /** Brings a watcher that is behind up to the current version (from the history). */
  catchUp: (watcher: Watcher) => void
  /** A fan-out that failed (a defect: writing never throws); the next version is delivered anew. */
  onError: (error: unknown) => void
}

export class FanOut {
  readonly watchers = new Set<Watcher>()
  private readonly pending: LlmConfig[] = []
  private running: Promise<void> | undefined

  constructor (readonly options: FanOutOptions) {}

  /** A new version this replica learned of (versions arrive in increasing order). */
  publish (config: LlmConfig): void {
    this.pending.push(config)
    // Deferred: publish runs inside the write that made the version, whose answer goes first.
    this.running ??= yieldToEventLoop().then(() => this.drain()).catch(this.options.onError)
  }

  /** Resolves once every version published so far has been written to the watchers it was due to. */
  async settled (): Promise<void> {
    await this.running
  }

  /** One heartbeat for every watcher, in slices. */
  async beat (): Promise<void> {
    await this.forEach((watcher) => watcher.write(HEARTBEAT))
  }

  private async drain (): Promise<void> {
    try {
      for (let config = this.pending.shift(); config; config = this.pending.shift()) await this.deliver(config)
    } finally {
      this.running = undefined
    }
  }

  private async deliver (config: LlmConfig): Promise<void> {
    if (this.watchers.size === 0) return // no event to build (nor a serialiser yet, before the first watcher)
    const event = this.options.eventFor(config)
    await this.forEach((watcher) => {
      if (watcher.last >= config.version) return
      if (!watcher.catchingUp && watcher.last === config.version - 1) {
        watcher.send(config.version, event)
      } else {
        this.options.catchUp(watcher)
      }
    })
  }

  /** Calls `visit` for each watcher, yielding every YIELD_EVERY; watchers added meanwhile are visited too. */
  private async forEach (visit: (watcher: Watcher) => void): Promise<void> {
    let count = 0
    for (const watcher of this.watchers) {
      visit(watcher)
      if (++count % YIELD_EVERY === 0) await yieldToEventLoop()
    }
  }
}
