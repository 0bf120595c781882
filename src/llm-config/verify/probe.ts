// One probe: ask a provider for its model list, at the configured base URL only, within a
// deadline, and say what happened. Guards: a public provider's host may not resolve to a
// private address (SSRF), redirects are never followed (they could lead anywhere), the answer
// is read up to BODY_LIMIT, and the key is only ever a header to this one URL. Which key (if
// any) may go to this URL was decided before (targets.ts); key_sent says whether it left.
import type { IncomingMessage } from 'node:http'
import type { ProviderName } from '../../db/providers.js'
import { listingUrl } from './adapter.js'
import { ADAPTERS, PRIVATE_NETWORK_PROVIDERS } from './adapters.js'
import { readBounded } from './bounded-body.js'
import { get, type Departure } from './http-get.js'
import { refusePrivateHost } from './private-addresses.js'
import { ProbeFailure, classifyError } from './probe-failure.js'
import type { VerifyTarget } from './schemas.js'

export interface ProbeRequest {
  provider: ProviderName
  /** null: the provider has no default base and no api_url was given. */
  base: string | null
  apiKey: string | null
  allowPrivate: boolean
  timeoutMs: number
}

export type ProbeResult = Pick<VerifyTarget, 'url' | 'key_sent' | 'reachable' | 'status' | 'latency_ms' | 'auth_accepted' | 'error' | 'detail' | 'models'>

// RFC 9110 field values: visible ASCII and spaces. Anything else would make the request throw
// (fetch's error even quotes the value, the key): refuse it first, in words of our own.
const HEADER_SAFE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/

export async function probe ({ provider, base, apiKey, allowPrivate, timeoutMs }: ProbeRequest): Promise<ProbeResult> {
  const adapter = ADAPTERS[provider]
  const result: ProbeResult = { url: null, key_sent: false, reachable: false, status: null, latency_ms: null, auth_accepted: null, error: null, detail: null, models: null }
  const fail = (failure: ProbeFailure) => ({ ...result, error: failure.errorClass, detail: failure.detail })

  if (base === null) return fail(new ProbeFailure('unreachable', `${provider} has no default address: set api_url`))
  const request = adapter.listing(apiKey)
  const url = listingUrl(base, request)
  if (url.username !== '' || url.password !== '') {
    // node:http would send them as a Basic Authorization header; the report shows the URL without them.
    const shown = new URL(url)
    shown.username = shown.password = ''
    result.url = shown.href
    return fail(new ProbeFailure('unreachable', 'a URL with credentials in it (user:password@) is not probed'))
  }
  result.url = url.href
  if (apiKey !== null && !HEADER_SAFE.test(apiKey)) {
    return fail(new ProbeFailure('auth_failed', 'the API key has characters an HTTP header cannot carry'))
  }

  const deadline = AbortSignal.timeout(timeoutMs)
  const departure: Departure = { left: false }
  let outcome: ProbeResult
  try {
    if (!allowPrivate && !PRIVATE_NETWORK_PROVIDERS.has(provider)) await refusePrivateHost(url.hostname, deadline)
    const started = performance.now()
    const response = await get(url, { accept: 'application/json', ...request.headers }, deadline, departure)
    result.reachable = true
    result.status = response.statusCode ?? null
    result.latency_ms = Math.round(performance.now() - started)
    outcome = { ...result, ...await judge(response, url, adapter) }
  } catch (error) {
    // Past the deadline, whatever broke (the connection, the body) broke because of it.
    outcome = fail(classifyError(!(error instanceof ProbeFailure) && deadline.aborted ? deadline.reason : error, timeoutMs))
  }
  // From what happened, not from intent: a probe stopped before its request left sent nothing.
  return { ...outcome, key_sent: apiKey !== null && departure.left }
}

/** What an answer means: the model list, or which error class. */
async function judge (response: IncomingMessage, url: URL, adapter: typeof ADAPTERS[ProviderName]): Promise<Partial<ProbeResult>> {
  const status = response.statusCode ?? 0
  const refused = { auth_accepted: false, error: 'auth_failed' as const, detail: `HTTP ${status}: the provider refused the credentials` }
  if (status >= 300 && status < 400) {
    discard(response)
    const location = hostOf(response.headers.location ?? null, url.href)
    throw new ProbeFailure('unexpected_response', `HTTP ${status}: a redirect${location ? ` to ${location}` : ''}, not followed`)
  }
  if (status === 401 || status === 403) return discard(response, refused)
  if (status === 429) return discard(response, { error: 'rate_limited', detail: 'HTTP 429: the provider is rate-limiting these credentials or this address' })
  const body = parseJson(await readBounded(response))
  if (adapter.refusesKey?.(status, body)) return refused
  if (status < 200 || status >= 300) throw new ProbeFailure('unexpected_response', `HTTP ${status}`)
  if (body === undefined) throw new ProbeFailure('unexpected_response', 'the answer is not valid JSON')
  const models = adapter.models(body)
  if (models === undefined) throw new ProbeFailure('unexpected_response', 'the answer is JSON but not a model list')
  return { auth_accepted: true, models }
}

/** Drops an answer's body unread (it is not needed) with its connection, then gives `value`. */
function discard<T> (response: IncomingMessage, value?: T): T {
  response.destroy()
  return value as T
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Only the host of a redirect's target: its path and query are the other server's business. */
function hostOf (location: string | null, base: string): string | null {
  if (location === null) return null
  try {
    return new URL(location, base).host
  } catch {
    return null
  }
}
