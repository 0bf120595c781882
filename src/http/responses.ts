// The error answers that many routes share, declared once for the OpenAPI document (and the
// serialiser). A route spreads the ones it can give and adds its own (400, 412, 422, …).
import { PROBLEM_EXAMPLES as examples, problemResponse as problem } from './problems.js'

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

/** 401, 403 and 429: the answers of the auth hook (plugins/app/auth.ts) and of the write budget. */
export function accessResponses (access: Access) {
  return {
    401: access === 'read'
      ? problem('Missing or unknown bearer token (when READER_TOKENS is configured)', examples.unauthorized)
      : problem('Missing or unknown bearer token', examples.unauthorized),
    403: problem('The token\'s role does not allow this', examples.forbidden(access)),
    429: access === 'write'
      ? problem('Too many writes or failed authentications from this address; see Retry-After', examples.rateLimited)
      : problem('Too many failed authentications from this address; see Retry-After', examples.authFailures)
  }
}

/** 500 and 503: an unexpected error, or a database that did not answer in time. */
export const failureResponses = {
  500: problem('Unexpected error', examples.internal),
  503: problem('The database did not answer in time, or the service is shutting down; see Retry-After', examples.databaseUnavailable)
}

export const bodyResponses = {
  400: problem('Malformed JSON, a forbidden key, or a body that does not match its schema', examples.invalidBody),
  413: problem('Body larger than 1 MiB', { type: 'about:blank', title: 'Payload Too Large', status: 413, detail: 'Request body is too large' }),
  415: problem('Content type is not JSON', examples.unsupportedMediaType)
}
