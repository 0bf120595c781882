// The errors a client reports. None of them ever contains the token or the API key: they are
// logged by workers, and a log is the usual place secrets leak from.

/** Base class of every error the client raises or reports. */
export class LlmConfigError extends Error {
  override name = 'LlmConfigError'
}

/**
 * 401 or 403: the client stops (status `failed`), since retrying an unknown token only adds to
 * the service's failed-authentication count (AUTH_FAILURE_LIMIT) and can lock the address out.
 */
export class LlmConfigAuthError extends LlmConfigError {
  override name = 'LlmConfigAuthError'
  constructor (message: string, readonly status: 401 | 403) {
    super(message)
  }
}

/** ready() found no configuration, from the service or the cache file, in time. */
export class LlmConfigTimeoutError extends LlmConfigError {
  override name = 'LlmConfigTimeoutError'
}

/** The service answered something the client cannot use (an unexpected status or body). */
export class LlmConfigResponseError extends LlmConfigError {
  override name = 'LlmConfigResponseError'
  constructor (message: string, readonly status?: number) {
    super(message)
  }
}

/** Any thrown value as an Error, for reporting. */
export function asError (value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
