// HTTP to the service with fetch: the bearer token, a deadline, and every failure turned into
// a one-line CliError with its exit code. Problem details (RFC 9457, application/problem+json)
// give the message: https://www.rfc-editor.org/rfc/rfc9457
import { CliError, EXIT } from './errors.mjs'

/**
 * @param {{ url: string, token: string | undefined, timeoutMs: number }} options
 *   url: the service's base URL (already checked by checkUrl); token: the bearer token, if any
 */
export function createClient ({ url, token, timeoutMs }) {
  const base = url.replace(/\/+$/, '') // a base path (behind a proxy) is kept

  /** fetch, with the token; network failures and the deadline become CliErrors (EXIT.unavailable). */
  async function send (method, path, { body, headers = {}, signal } = {}) {
    const where = `${base}${path}`
    try {
      return await fetch(where, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A redirect would take the token elsewhere and turn a PATCH into something else: report it instead.
        redirect: 'manual',
        signal
      })
    } catch (error) {
      if (error?.name === 'AbortError' && signal?.aborted && signal.reason?.name !== 'TimeoutError') throw error
      if (error?.name === 'TimeoutError' || error?.name === 'AbortError') {
        throw new CliError(`no answer from ${where} within ${timeoutMs / 1000} s`, EXIT.unavailable)
      }
      const cause = error?.cause
      const reason = cause?.code ?? cause?.message ?? error?.message ?? String(error)
      throw new CliError(`cannot reach ${base}: ${reason}`, EXIT.unavailable)
    }
  }

  /** A request whose answer is JSON: resolves to { status, etag, body (parsed), text (as received) }, or throws a CliError. */
  async function request (method, path, options = {}) {
    const signal = AbortSignal.timeout(timeoutMs)
    const res = await send(method, path, { ...options, signal })
    if (!res.ok) throw await failure(res, `${base}${path}`, token)
    let text
    try {
      text = await res.text()
    } catch {
      throw new CliError(`the answer from ${base}${path} was cut short`, EXIT.unavailable)
    }
    try {
      return { status: res.status, etag: res.headers.get('etag'), body: JSON.parse(text), text }
    } catch {
      throw new CliError(`the answer from ${base}${path} is not JSON: is ${base} the llm-config service?`, EXIT.unavailable)
    }
  }

  /**
   * A streaming GET (Server-Sent Events): resolves to the Response once its head arrived
   * (within the deadline); `signal` ends the stream.
   */
  async function stream (path, { headers, signal }) {
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(new DOMException('deadline', 'TimeoutError')), timeoutMs)
    try {
      const res = await send('GET', path, { headers: { accept: 'text/event-stream', ...headers }, signal: AbortSignal.any([signal, deadline.signal]) })
      if (!res.ok) throw await failure(res, `${base}${path}`, token)
      if (!/^text\/event-stream\b/.test(res.headers.get('content-type') ?? '')) {
        await res.body?.cancel()
        throw new CliError(`the answer from ${base}${path} is not an event stream: is ${base} the llm-config service?`, EXIT.unavailable)
      }
      return res
    } finally {
      clearTimeout(timer)
    }
  }

  return { request, stream, base }
}

/** The CliError for an answer that is not a success. */
async function failure (res, where, token) {
  const text = await res.text().catch(() => '')
  let problem = {}
  if (/json/.test(res.headers.get('content-type') ?? '')) {
    try {
      const parsed = JSON.parse(text)
      if (parsed && typeof parsed === 'object') problem = parsed
    } catch {}
  }
  const status = res.status
  const oneLine = (value) => String(value).replace(/\s+/g, ' ').trim()
  const detail = oneLine(problem.detail ?? problem.title ?? res.statusText ?? '')
  const fieldErrors = Array.isArray(problem.errors)
    ? problem.errors.map((e) => `${oneLine(e?.field ?? e?.pointer ?? '(body)')}: ${oneLine(e?.detail ?? 'is invalid')}`)
    : []
  if (status === 401) {
    const hint = token ? '' : ' Set LLM_CONFIG_TOKEN (or pass --token).'
    return new CliError(`not authorized (401): ${detail}${hint}`, EXIT.unauthorized)
  }
  if (status === 403) return new CliError(`forbidden (403): ${detail}`, EXIT.unauthorized)
  if (status === 412) return new CliError(`conflict (412): ${detail} Nothing was written.`, EXIT.conflict)
  if (status === 400 || status === 422) return new CliError(`invalid (${status}): ${detail}`, EXIT.invalid, fieldErrors)
  if (status === 429) {
    // The hint from Retry-After, unless the service's own detail already says when to retry.
    const after = res.headers.get('retry-after')
    const hint = after && !/\bretry\b/i.test(detail) ? ` Retry in ${oneLine(after)} s.` : ''
    return new CliError(`too many requests (429): ${detail}${hint}`, EXIT.unavailable)
  }
  if (status >= 500) return new CliError(`the service failed (${status}): ${detail}`, EXIT.unavailable)
  if (status >= 300 && status < 400) {
    const location = res.headers.get('location')
    return new CliError(`${where} redirects (${status})${location ? ` to ${oneLine(location)}` : ''}: point --url at the service itself`, EXIT.unavailable)
  }
  return new CliError(`unexpected answer from ${where}: ${status} ${detail}`, EXIT.unavailable)
}

/**
 * The base URL from --url or LLM_CONFIG_URL, checked: http(s), no credentials in it (the
 * token goes in LLM_CONFIG_TOKEN, and a URL is printed in error messages).
 */
export function checkUrl (text) {
  let url
  try {
    url = new URL(text)
  } catch {
    throw new CliError('--url (or LLM_CONFIG_URL) is not a URL', EXIT.usage)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('--url (or LLM_CONFIG_URL) must be an http(s) URL', EXIT.usage)
  if (url.username || url.password) throw new CliError('--url (or LLM_CONFIG_URL) must not contain credentials: put the token in LLM_CONFIG_TOKEN', EXIT.usage)
  if (url.search || url.hash) throw new CliError('--url (or LLM_CONFIG_URL) must be the service\'s base URL, without ?query or #fragment', EXIT.usage)
  return url.href
}

/** The token from --token or LLM_CONFIG_TOKEN, checked without ever being shown. */
export function checkToken (token) {
  if (token === undefined || token === '') return undefined
  // RFC 6750's b64token characters, loosely: visible ASCII only, so it fits in a header.
  if (!/^[\x21-\x7e]+$/.test(token)) throw new CliError('the token (--token or LLM_CONFIG_TOKEN) contains spaces or characters a header cannot carry', EXIT.usage)
  return token
}
