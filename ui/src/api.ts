// The public API, as any client calls it: the bearer token on every request, problem+json
// answers turned into ApiError, the ETag kept for If-Match. Same origin only (relative URLs).

export type Role = 'admin' | 'consumer' | 'reader' | 'anonymous'
export interface Identity { name: string, role: Role }

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  errors?: Array<{ pointer: string, field: string, detail: string }>
}

export class ApiError extends Error {
  constructor (readonly status: number, readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`)
  }
}

export interface Answer<T> { status: number, body: T, etag: string | null }

export interface RequestOptions {
  body?: unknown
  ifMatch?: string
  contentType?: string
  signal?: AbortSignal
  headers?: Record<string, string>
}

export function headersFor (token: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return { accept: 'application/json, application/problem+json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra }
}

export async function request<T> (token: string | null, method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers = headersFor(token, options.headers)
  if (options.ifMatch) headers['if-match'] = options.ifMatch
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json'
  const response = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    // The token travels in a header only: no cookies, no credentials of the browser's own.
    credentials: 'omit',
    cache: 'no-store'
  })
  const text = await response.text()
  let body: unknown = null
  try {
    body = text === '' ? null : JSON.parse(text)
  } catch {
    body = { detail: text }
  }
  if (!response.ok) throw new ApiError(response.status, (body ?? {}) as Problem)
  return { status: response.status, body: body as T, etag: response.headers.get('etag') }
}

/** Words for a failed call, for the page: the problem's detail, or what went wrong on the way. */
export function describe (error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail ?? error.problem.title ?? `The service answered ${error.status}.`
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.'
  return 'The service could not be reached.'
}
