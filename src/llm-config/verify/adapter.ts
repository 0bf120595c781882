// What an API family's adapter says: how to ask for the model list and how to read the answer.
// One small file per family (ollama.ts, openai.ts, …); adapters.ts maps providers onto them.

export interface ListingRequest {
  /** Relative to the base URL (see listingUrl). */
  path: string
  query?: Record<string, string>
  headers: Record<string, string>
}

export interface Adapter {
  /** The request that lists the models; apiKey null: probe without credentials. */
  listing: (apiKey: string | null) => ListingRequest
  /** The model names in a 2xx JSON answer; undefined when it does not have the API's shape. */
  models: (body: unknown) => string[] | undefined
  /** The form in which a configured model name appears in the list (default: as written). */
  canonical?: (model: string) => string
  /** An API that refuses a key with another status than 401/403 (Google: 400 API_KEY_INVALID). */
  refusesKey?: (status: number, body: unknown) => boolean
}

/** The key in a header of its own (`x-api-key: <key>`), or nothing without a key. */
export function keyHeader (name: string, apiKey: string | null): Record<string, string> {
  return apiKey === null ? {} : { [name]: apiKey }
}

/** `Authorization: Bearer <key>`, or nothing without a key. */
export function bearer (apiKey: string | null): Record<string, string> {
  return keyHeader('authorization', apiKey === null ? null : `Bearer ${apiKey}`)
}

/** The strings at body[list][*][field] (`{"data": [{"id": "gpt-4o"}]}`), or undefined for another shape. */
export function namesAt (body: unknown, list: string, field: string): string[] | undefined {
  const items = (body as Record<string, unknown> | null)?.[list]
  if (!Array.isArray(items)) return undefined
  const names = items.map((item) => (item as Record<string, unknown> | null)?.[field])
  return names.every((name) => typeof name === 'string') ? names as string[] : undefined
}

/**
 * base + path, without doubling a version segment the base already ends with (an api_url of
 * https://api.anthropic.com/v1 and the path v1/models give /v1/models). The base's own query
 * and fragment are dropped: only the adapter's query is sent.
 */
export function listingUrl (base: string, request: ListingRequest): URL {
  const url = new URL(base)
  const baseSegments = url.pathname.split('/').filter(Boolean)
  const pathSegments = request.path.split('/').filter(Boolean)
  if (baseSegments.length > 0 && baseSegments.at(-1) === pathSegments[0]) pathSegments.shift()
  url.pathname = '/' + [...baseSegments, ...pathSegments].join('/')
  url.search = new URLSearchParams(request.query ?? {}).toString()
  url.hash = ''
  return url
}
