// The API key the client holds for its task plans. Revealed at start and again only when the
// configuration's key marker moves (credentials.ts); a failed reveal keeps the previous key
// (most likely still valid during a rotation) and is retried with backoff.
import { Backoff } from './backoff.js'
import { fetchApiKey, keyMarker } from './credentials.js'
import type { HttpContext } from './http.js'
import type { ResolvedOptions } from './options.js'
import type { ServedConfig } from './served-config.js'

export class ApiKeyHolder {
  /** The key; null when none is stored; undefined when not known or not revealed to this token. */
  key: string | null | undefined
  private denied: boolean
  private fetchedAt: string | undefined
  private refreshing: Promise<void> = Promise.resolve()
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly backoff: Backoff

  constructor (
    private readonly context: HttpContext,
    options: ResolvedOptions,
    private readonly warn: (message: string) => void,
    private readonly latest: () => ServedConfig | undefined
  ) {
    // Without a token the service reveals nothing: do not ask.
    this.denied = context.token === undefined
    this.backoff = new Backoff({ baseMs: options.backoffBaseMs, capMs: options.backoffCapMs })
  }

  /** Whether the key is the one of `config` (or cannot be had): plans made now are right. */
  current (config: ServedConfig): boolean {
    return this.denied || this.fetchedAt === keyMarker(config)
  }

  /** Reveals the key if `config`'s marker differs from the held key's. One reveal at a time. */
  refresh (config: ServedConfig): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.reveal(config))
    return this.refreshing
  }

  /** A cached key (cacheApiKey) to serve while the service cannot be asked. */
  adoptCached (key: string | null): void {
    if (this.fetchedAt === undefined && !this.denied) this.key = key
  }

  /** After a 401/403 on reads, or close(): the key is forgotten and never asked for again. */
  drop (): void {
    this.denied = true
    this.key = undefined
    clearTimeout(this.retryTimer)
  }

  private async reveal (config: ServedConfig): Promise<void> {
    if (this.current(config)) return
    const marker = keyMarker(config)
    const answer = await fetchApiKey(this.context)
    if (this.denied) return // dropped meanwhile
    if (answer.kind === 'key') {
      this.key = answer.apiKey
      this.fetchedAt = marker
      this.backoff.reset()
    } else if (answer.kind === 'denied') {
      this.denied = true // a reader token: plans simply carry no api_key
      this.key = undefined
    } else {
      const delay = this.backoff.next(answer.kind === 'retry' ? answer.retryAfterMs : undefined)
      this.warn(`${answer.error.message}; keeping the previous key, retrying in ${delay} ms`)
      clearTimeout(this.retryTimer)
      this.retryTimer = setTimeout(() => {
        const latest = this.latest()
        if (latest !== undefined) this.refresh(latest).catch(() => {}) // reveal() reports its own failures
      }, delay)
    }
  }
}
