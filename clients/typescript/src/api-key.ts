// The API key the client holds for its task plans. Revealed at start and again only when the
// configuration's key marker moves (credentials.ts). A version whose key cannot be revealed is
// not taken (KeyRevealFailed): plans never pair a version with another version's key, and the
// client, stale meanwhile, gets that version again when it reconnects.
import { fetchApiKey, keyMarker } from './credentials.js'
import { LlmConfigError } from './errors.js'
import type { HttpContext } from './http.js'
import type { ServedConfig } from './served-config.js'

/** The key of a new version could not be revealed: the version is held back and asked for again. */
export class KeyRevealFailed extends LlmConfigError {
  override name = 'KeyRevealFailed'
  constructor (error: Error, readonly retryAfterMs?: number) {
    super(error.message, { cause: error })
  }
}

export class ApiKeyHolder {
  /** The key; null when none is stored; undefined when not known or not revealed to this token. */
  key: string | null | undefined
  private denied: boolean
  private fetchedAt: string | undefined
  private refreshing: Promise<void> = Promise.resolve()

  constructor (private readonly context: HttpContext) {
    // Without a token the service reveals nothing: do not ask.
    this.denied = context.token === undefined
  }

  /** Whether the key is the one of `config` (or cannot be had): plans made now are right. */
  current (config: ServedConfig): boolean {
    return this.denied || this.fetchedAt === keyMarker(config)
  }

  /** Reveals the key if `config`'s marker differs from the held key's; rejects with KeyRevealFailed. One reveal at a time. */
  refresh (config: ServedConfig): Promise<void> {
    const reveal = this.refreshing.then(() => this.reveal(config))
    this.refreshing = reveal.catch(() => {})
    return reveal
  }

  /** A cached key (cacheApiKey) to serve while the service cannot be asked. */
  adoptCached (key: string | null): void {
    if (this.fetchedAt === undefined && !this.denied) this.key = key
  }

  /** After a 401/403 on reads, or close(): the key is forgotten and never asked for again. */
  drop (): void {
    this.denied = true
    this.key = undefined
  }

  private async reveal (config: ServedConfig): Promise<void> {
    if (this.current(config)) return
    const marker = keyMarker(config)
    const answer = await fetchApiKey(this.context)
    if (this.denied) return // dropped meanwhile
    if (answer.kind === 'key') {
      this.key = answer.apiKey
      this.fetchedAt = marker
    } else if (answer.kind === 'denied') {
      this.denied = true // a reader token: plans simply carry no api_key
      this.key = undefined
    } else {
      throw new KeyRevealFailed(answer.error, answer.kind === 'retry' ? answer.retryAfterMs : undefined)
    }
  }
}
