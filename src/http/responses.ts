// The error answers that many routes share, declared once for the OpenAPI document (and the
// serialiser). A route spreads the ones it can give and adds its own (400, 412, 422, …).
import { PROBLEM_EXAMPLES as examples, problemResponse as problem, type Problem } from './problems.js'

type Access = 'read' | 'write' | 'reveal'

/** The parts of a request that a route schema validates, as Fastify names them (error.validationContext). */
export type RequestPart = 'body' | 'querystring' | 'params' | 'headers'

const PART_DETAILS: Record<RequestPart, string> = {
  body: 'The request body does not match its schema.',
  querystring: 'The query string does not match its schema.',
  params: 'The path parameters do not match their schema.',
  headers: 'The request headers do not match their schema.'
}

/** The detail of a 400 for a part of the request that fails its schema (plugins/app/errors.ts). */
export function validationDetail (part: string | undefined): string {
  return PART_DETAILS[(part ?? 'body') as RequestPart] ?? PART_DETAILS.body
}

/** A 400's example for a query string or path parameter that fails its schema, as the error handler words it. */
export function invalidPart (part: RequestPart, field: string, detail: string) {
  return { ...examples.invalidBody, detail: validationDetail(part), errors: [{ pointer: `#/${field}`, field, detail }] }
}

/** Response headers, as the OpenAPI document describes them (Header Objects of a response). */
export const HEADERS = {
  etag: { etag: { type: 'string', description: 'The entity tag of the configuration\'s version (`"7"`): send it in If-Match or If-None-Match' } },
  wwwAuthenticate: { 'www-authenticate': { type: 'string', description: 'The scheme to authenticate with: `Bearer realm="llm-config"`' } },
  retryAfter: { 'retry-after': { type: 'string', description: 'Seconds to wait before retrying' } },
  noStore: { 'cache-control': { type: 'string', const: 'no-store', description: '`no-store`: the answer holds a secret; no cache may keep it' } },
  accept: { accept: { type: 'string', description: 'The media types this operation takes' } },
  acceptPatch: { 'accept-patch': { type: 'string', description: 'The media types PATCH /llm-config takes (RFC 5789)' } }
} as const

type Headers = Record<string, { type: string, description: string }>

/** A response with the headers it carries. */
export function withHeaders<T extends object> (response: T, ...headers: Headers[]): T & { headers: Headers } {
  return { ...response, headers: Object.assign({}, ...headers) }
}

/** 401, 403 and 429: the answers of the auth hook (plugins/app/auth.ts) and of the write budget. */
export function accessResponses (access: Access) {
  return {
    401: withHeaders(access === 'read'
      ? problem('Missing or unknown bearer token (when READER_TOKENS is configured)', examples.unauthorized)
      : problem('Missing or unknown bearer token', examples.unauthorized), HEADERS.wwwAuthenticate),
    403: problem('The token\'s role does not allow this', examples.forbidden(access)),
    429: withHeaders(access === 'write'
      ? problem('Too many writes or failed authentications from this address; see Retry-After', examples.rateLimited)
      : problem('Too many failed authentications from this address; see Retry-After', examples.authFailures), HEADERS.retryAfter)
  }
}

/** A 503 with Retry-After: the service is shutting down or overloaded, or as described. */
export function unavailableResponse (description = 'The database did not answer in time, or the service is shutting down or overloaded; see Retry-After', example: Problem = examples.databaseUnavailable) {
  return withHeaders(problem(description, example), HEADERS.retryAfter)
}

/** 500 and 503: an unexpected error, or a database that did not answer in time. */
export const failureResponses = {
  500: problem('Unexpected error', examples.internal),
  503: unavailableResponse()
}

/** 415, naming the accepted media types in its detail and in Accept (Accept-Patch for PATCH). */
export function unsupportedMediaTypeResponse (accepted: string[], header: Headers = HEADERS.accept) {
  return withHeaders(problem(`Content type is not ${accepted.join(' or ')}`, {
    type: 'about:blank', title: 'Unsupported Media Type', status: 415, detail: `Unsupported Media Type: this operation takes ${accepted.join(' or ')}.`
  }), header)
}

export const bodyResponses = {
  400: problem('Malformed JSON, a forbidden key, or a body that does not match its schema', examples.invalidBody),
  413: problem('Body larger than 1 MiB', { type: 'about:blank', title: 'Payload Too Large', status: 413, detail: 'Request body is too large' }),
  415: unsupportedMediaTypeResponse(['application/json'])
}
