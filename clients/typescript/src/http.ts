// The one place requests are made: headers, deadlines, cancellation on close, and the reading
// of an answer the client cannot use as a configuration (which status means what). Works with
// any WHATWG fetch: Node's, a browser's, or one the user passes (a proxy agent, a test double).
import { LlmConfigAuthError, LlmConfigResponseError } from './errors.js'

export type Fetch = typeof globalThis.fetch

export interface HttpContext {
  baseUrl: string
  token: string | undefined
  fetch: Fetch
  requestTimeoutMs: number
  /** Aborted by close(): every request and wait ends with it. */
  closing: AbortSignal
}

/** Why an attempt to read the service did not succeed, and what the loop should do about it. */
export type Failure =
  | { kind: 'auth', error: LlmConfigAuthError }
  | { kind: 'retry', error: Error, retryAfterMs?: number }

export function headers (context: HttpContext, extra: Record<string, string> = {}): Record<string, string> {
  return context.token === undefined ? extra : { ...extra, authorization: `Bearer ${context.token}` }
}

/**
 * A signal that aborts at close() or after `timeoutMs` (AbortSignal.any is Node ≥ 20.3 and
 * recent browsers only). `clear` ends the timer once the caller is done with the request.
 */
export function deadline (context: HttpContext, timeoutMs: number): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const abort = () => controller.abort(context.closing.reason)
  if (context.closing.aborted) abort()
  context.closing.addEventListener('abort', abort, { once: true })
  const timer = setTimeout(() => controller.abort(new LlmConfigResponseError(`no answer within ${timeoutMs} ms`)), timeoutMs)
  const clear = () => {
    clearTimeout(timer)
    context.closing.removeEventListener('abort', abort)
  }
  return { signal: controller.signal, clear }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs (value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The failure an answer that is not a success stands for. The body is read only for a 403's detail. */
export async function failureOf (response: Response, context: HttpContext, what: string): Promise<Failure> {
  const { status } = response
  if (status === 401) {
    await response.body?.cancel()
    const message = context.token === undefined
      ? `${what}: the service at ${context.baseUrl} requires a token (401) and none was given; set the \`token\` option`
      : `${what}: the service at ${context.baseUrl} does not know this token (401): an unknown, revoked or mistyped token`
    return { kind: 'auth', error: new LlmConfigAuthError(message, 401) }
  }
  if (status === 403) {
    const detail = await problemDetail(response)
    const message = `${what}: the service at ${context.baseUrl} refused this token (403): its role may not read the configuration` +
      (detail === undefined ? '' : ` (${detail})`)
    return { kind: 'auth', error: new LlmConfigAuthError(message, 403) }
  }
  await response.body?.cancel()
  const error = new LlmConfigResponseError(`${what}: the service at ${context.baseUrl} answered ${status}`, status)
  // Retry-After is honoured where RFC 9110 gives it a meaning for a retry: 503 and 429.
  const after = status === 503 || status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined
  return after === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs: after }
}

/** A network-level failure (refused, reset, timed out) as a retry. */
export function networkFailure (error: unknown, context: HttpContext, what: string): Failure {
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)
  return { kind: 'retry', error: new LlmConfigResponseError(`${what}: the service at ${context.baseUrl} is unreachable (${cause})`) }
}

/** A problem document's detail (RFC 9457), which names the token's name and role, never the token. */
async function problemDetail (response: Response): Promise<string | undefined> {
  try {
    const body = await response.json() as { detail?: unknown }
    return typeof body.detail === 'string' ? body.detail : undefined
  } catch {
    return undefined
  }
}
