// LlmConfigClient: a live local copy of the service's configuration. Reads (config, task(),
// status) are synchronous and do no I/O; one background loop (sync-loop.ts) keeps the copy
// current, and events say when it changed or how fresh it is.
import { ApiKeyHolder } from './api-key.js'
import { Emitter } from './emitter.js'
import { LlmConfigError, LlmConfigTimeoutError, type LlmConfigAuthError } from './errors.js'
import type { HttpContext } from './http.js'
import { LastKnownGood } from './last-known-good.js'
import type { LlmConfig } from './openapi-types.js'
import { resolveOptions, type LlmConfigClientOptions, type ResolvedOptions } from './options.js'
import { changedFields, type ServedConfig } from './served-config.js'
import { syncLoop, type SyncHost } from './sync-loop.js'
import { taskPlan, type TaskPlan } from './task-plan.js'

/** initializing: no configuration yet; live: known fresh; stale: the service is unreachable, the last known copy is served; failed: 401/403, stopped. */
export type Status = 'initializing' | 'live' | 'stale' | 'failed'

export interface ChangeEvent {
  previous: LlmConfig
  current: LlmConfig
  /** The names of the fields whose values differ (version and updated_at included). */
  changed: string[]
}

export interface ClientEvents extends Record<string, unknown[]> {
  change: [ChangeEvent]
  /** The new status, and for stale and failed the error that explains it. */
  status: [Status, Error | undefined]
  /** Something the client worked around (a refused cache file, a polling fallback). Without a listener: console.warn. */
  warning: [Error]
}

interface Waiter { resolve: () => void, reject: (error: Error) => void, timer: ReturnType<typeof setTimeout> }

export class LlmConfigClient extends Emitter<ClientEvents> implements SyncHost {
  readonly options: ResolvedOptions
  readonly context: HttpContext
  private currentStatus: Status = 'initializing'
  private held: ServedConfig | undefined
  private lastError: Error | undefined
  private latestFromService: number | undefined
  private readonly apiKey: ApiKeyHolder
  private readonly cache: LastKnownGood | undefined
  private readonly closer = new AbortController()
  private readonly waiters = new Set<Waiter>()
  private readonly loop: Promise<void>
  private graceTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  /** The service has a version this client could not take yet (KeyRevealFailed). */
  private heldBack = false

  constructor (options: LlmConfigClientOptions) {
    super((error) => this.warn(`a listener threw: ${(error as Error)?.message ?? String(error)}`))
    this.options = resolveOptions(options)
    this.context = { baseUrl: this.options.url, token: this.options.token, fetch: this.options.fetch, requestTimeoutMs: this.options.requestTimeoutMs, closing: this.closer.signal }
    this.apiKey = new ApiKeyHolder(this.context)
    this.cache = this.options.cacheFile === undefined ? undefined : new LastKnownGood(this.options.cacheFile, this.options.url, (message) => this.warn(message))
    this.loop = this.start()
  }

  get status (): Status { return this.currentStatus }

  /** The configuration exactly as GET /llm-config serves it; undefined until ready. */
  get config (): LlmConfig | undefined { return this.held }

  /** Why the client is stale or failed (never containing the token or the key). */
  get error (): Error | undefined { return this.lastError }

  get serviceVersion (): number | undefined { return this.latestFromService }

  /** The plan for one task: tagger, enricher, analytics or responder. */
  task (name: string): TaskPlan {
    if (this.held === undefined) throw new LlmConfigError('no configuration yet: await client.ready() first')
    return taskPlan(name, this.held, this.apiKey.key)
  }

  /** Resolves once a configuration is held (fresh, or from the cache file); rejects on timeout, on 401/403, or on close. */
  ready ({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.held !== undefined) return Promise.resolve()
    if (this.currentStatus === 'failed') return Promise.reject(this.lastError)
    if (this.closed) return Promise.reject(new LlmConfigError('the client is closed'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new LlmConfigTimeoutError(this.timeoutMessage(timeoutMs)))
      }, timeoutMs)
      const waiter = { resolve, reject, timer }
      this.waiters.add(waiter)
    })
  }

  /** Ends the stream, every request and timer; resolves once the cache file is written. */
  async close (): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.closer.abort(new LlmConfigError('the client is closed'))
      clearTimeout(this.graceTimer)
      this.apiKey.drop()
      this.settleWaiters(new LlmConfigError('the client was closed before it had a configuration'))
    }
    await this.loop
    await this.cache?.flushed()
  }

  stopped (): boolean { return this.closed || this.currentStatus === 'failed' }

  async receive (config: ServedConfig, source: 'stream' | 'poll'): Promise<void> {
    // The service sends each version once across reconnects; this guard makes it so even if not.
    if (source === 'stream' && this.latestFromService !== undefined && config.version <= this.latestFromService) return
    // Before the change is told, so that task() has the new key. If it cannot be revealed, this
    // rejects (KeyRevealFailed) and the version is not taken: the loop gets it again later.
    try {
      await this.apiKey.refresh(config)
    } catch (error) {
      this.heldBack = true
      throw error
    }
    this.heldBack = false
    if (this.stopped()) return
    this.latestFromService = config.version
    this.commit(config)
    this.lastError = undefined
    this.setStatus('live')
  }

  confirmed (): void {
    // A version held back (its key could not be revealed) is newer than the copy: not current.
    if (this.held === undefined || this.heldBack) return
    this.lastError = undefined
    this.setStatus('live')
  }

  unreachable (error: Error): void {
    this.lastError = error
    if (this.held !== undefined) this.setStatus('stale', error)
    else this.fromCache().catch(() => {}) // the first failed attempt: the file may do meanwhile (read() warns itself)
  }

  failed (error: LlmConfigAuthError): void {
    this.lastError = error
    this.apiKey.drop()
    clearTimeout(this.graceTimer)
    this.setStatus('failed', error)
    this.settleWaiters(error)
  }

  warn (message: string): void {
    const warning = new LlmConfigError(message)
    if (this.listenerCount('warning') === 0) console.warn(`@llm-config/client: ${message}`)
    else this.emit('warning', warning)
  }

  sleep (ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.closer.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.closer.signal.addEventListener('abort', done, { once: true })
    })
  }

  private async start (): Promise<void> {
    await Promise.resolve() // listeners attached right after the constructor see every event
    if (this.cache !== undefined) this.graceTimer = setTimeout(() => { this.fromCache().catch(() => {}) }, this.options.cacheGraceMs)
    await syncLoop(this)
  }

  private cacheRead: Promise<void> | undefined
  /** Becomes ready from the cache file, once, if nothing better came first. */
  private fromCache (): Promise<void> {
    if (this.cache === undefined) return Promise.resolve()
    this.cacheRead ??= this.cache.read().then((record) => {
      if (record === undefined || this.held !== undefined || this.stopped()) return
      if (this.options.cacheApiKey && record.apiKey !== undefined) this.apiKey.adoptCached(record.apiKey)
      this.held = Object.freeze({ ...record.config })
      this.setStatus('stale', this.lastError)
      this.settleWaiters()
    })
    return this.cacheRead
  }

  private commit (config: ServedConfig): void {
    const previous = this.held
    const current = Object.freeze({ ...config })
    this.held = current
    const changed = previous === undefined ? undefined : changedFields(previous, current)
    if (changed === undefined || changed.length > 0) {
      this.cache?.write({ config: current, ...(this.options.cacheApiKey && this.apiKey.key !== undefined ? { apiKey: this.apiKey.key } : {}) })
    }
    this.settleWaiters()
    if (previous !== undefined && changed !== undefined && changed.length > 0) this.emit('change', { previous, current, changed })
  }

  private setStatus (status: Status, error?: Error): void {
    if (this.currentStatus === status || this.currentStatus === 'failed') return
    this.currentStatus = status
    this.emit('status', status, error)
  }

  /** Resolves every ready() waiter, or rejects them with `error`. */
  private settleWaiters (error?: Error): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer)
      if (error === undefined) waiter.resolve()
      else waiter.reject(error)
    }
    this.waiters.clear()
  }

  private timeoutMessage (timeoutMs: number): string {
    const why = this.lastError === undefined ? 'no answer yet' : this.lastError.message
    const fallback = this.cache === undefined ? 'no cacheFile is configured to fall back on' : `the cache file ${this.options.cacheFile} held no usable configuration`
    return `no configuration within ${timeoutMs} ms from ${this.options.url} (${why}); ${fallback}`
  }
}
