// GET /llm-config/credentials, asked only when the key changed: at start, then whenever the
// configuration's key marker differs from the one the held key was fetched at. A change that
// does not touch the key therefore costs no reveal (each reveal is logged by the service).
import { deadline, failureOf, headers, networkFailure, type Failure, type HttpContext } from './http.js'
import type { ServedConfig } from './served-config.js'

export type KeyAnswer =
  | { kind: 'key', apiKey: string | null }
  /** 401/403 here is a token that may read but not reveal (a reader): plans carry no api_key. */
  | { kind: 'denied' }
  | Failure

/**
 * What identifies the stored key without revealing it: api_key_version (the version at which
 * the key last changed) where the service serves it; before that, api_key_set and
 * api_key_hint, which miss a rotation to a key with the same last four characters.
 */
export function keyMarker (config: ServedConfig): string {
  // hasOwn, not `in`: the type says the field is there, an older service may still omit it.
  if (Object.hasOwn(config, 'api_key_version')) return `version:${String(config.api_key_version)}`
  return `hint:${String(config.api_key_set)}:${String(config.api_key_hint)}`
}

export async function fetchApiKey (context: HttpContext): Promise<KeyAnswer> {
  const what = 'reading the API key'
  const { signal, clear } = deadline(context, context.requestTimeoutMs)
  try {
    const response = await context.fetch(`${context.baseUrl}/llm-config/credentials`, {
      headers: headers(context, { accept: 'application/json' }),
      signal
    })
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel()
      return { kind: 'denied' }
    }
    if (!response.ok) return await failureOf(response, context, what)
    const body = await response.json() as { api_key?: unknown }
    if (body.api_key !== null && typeof body.api_key !== 'string') {
      return networkFailure(new Error('the answer has no api_key'), context, what)
    }
    return { kind: 'key', apiKey: body.api_key }
  } catch (error) {
    return networkFailure(error, context, what)
  } finally {
    clear()
  }
}
