// The client's options with the spec's defaults (issue 12). Every timing is an option so that
// tests (and unusual deployments) can shorten or lengthen it; the defaults are what a worker
// in production wants.
import { LlmConfigError } from './errors.js'
import type { Fetch } from './http.js'

export interface LlmConfigClientOptions {
  /** The service's base URL, e.g. http://127.0.0.1:3000. */
  url: string
  /** A reader, consumer or admin token; optional while the service's reads are open. Consumer and admin tokens also get the API key. */
  token?: string
  /** Last-known-good file (Node only): written at every new version, read when the service is down at start. */
  cacheFile?: string
  /** Also keep the API key in the cache file. Off unless asked for by name. */
  cacheApiKey?: boolean
  /** Polling interval where the event stream cannot be had. Default 30 s. */
  pollIntervalMs?: number
  /** First reconnect step; steps double with jitter. Default 500 ms. */
  backoffBaseMs?: number
  /** Longest reconnect step. Default 30 s. */
  backoffCapMs?: number
  /** A stream that stayed up this long resets the backoff. Default 60 s. */
  healthyResetMs?: number
  /** A stream whose body stays silent this long after its head is taken as buffered by a proxy: the client polls. Default 5 s. */
  streamSilenceMs?: number
  /** A flowing stream silent this long (no event, no heartbeat) is taken as dead and reconnected. Default 45 s (three of the service's 15 s heartbeats). */
  streamIdleMs?: number
  /** While polling, how often the stream is tried again. Default 5 min. */
  streamRetryMs?: number
  /** Deadline of each request (and of a stream's head). Default 10 s. */
  requestTimeoutMs?: number
  /** With a cache file: how long the first attempt may take before the client becomes ready from the file. Default 1 s. */
  cacheGraceMs?: number
  /** Another fetch (a proxy-aware one, a test double). Default: globalThis.fetch. */
  fetch?: Fetch
}

export type ResolvedOptions = Required<Omit<LlmConfigClientOptions, 'token' | 'cacheFile'>> & Pick<LlmConfigClientOptions, 'token' | 'cacheFile'>

const DEFAULTS = {
  cacheApiKey: false,
  pollIntervalMs: 30_000,
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
  healthyResetMs: 60_000,
  streamSilenceMs: 5_000,
  streamIdleMs: 45_000,
  streamRetryMs: 300_000,
  requestTimeoutMs: 10_000,
  cacheGraceMs: 1_000
}

const TIMINGS = ['pollIntervalMs', 'backoffBaseMs', 'backoffCapMs', 'healthyResetMs', 'streamSilenceMs', 'streamIdleMs', 'streamRetryMs', 'requestTimeoutMs', 'cacheGraceMs'] as const

/** The options with defaults filled in; throws naming the first bad one (never the token's value). */
export function resolveOptions (options: LlmConfigClientOptions): ResolvedOptions {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new LlmConfigError(`url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LlmConfigError(`url must be http or https, got ${url.protocol}`)
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) throw new LlmConfigError('token must be a non-empty string when given')
  const fetch = options.fetch ?? globalThis.fetch
  if (typeof fetch !== 'function') throw new LlmConfigError('no fetch available: pass the `fetch` option')
  const resolved = { ...DEFAULTS, ...withoutUndefined(options), url: url.href.replace(/\/+$/, ''), fetch }
  for (const name of TIMINGS) {
    const value = resolved[name]
    if (!Number.isFinite(value) || value <= 0) throw new LlmConfigError(`${name} must be a positive number of milliseconds, got ${String(value)}`)
  }
  return resolved
}

function withoutUndefined<T extends object> (object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>
}
