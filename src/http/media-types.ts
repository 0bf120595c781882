// The media types a request body may have, compared as RFC 9110 says, and the 415 that tells
// the client which ones a route takes. Used by the JSON body parser's errors
// (plugins/app/errors.ts) and by routes that refuse a type the parser accepts (PUT and merge patches).
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The media type of a Content-Type header, lower-cased and without its parameters: type and
 * subtype are case-insensitive, and `; charset=utf-8` does not change what the body is
 * (RFC 9110 §8.3.1, https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1).
 */
export function mediaTypeOf (header: string | undefined): string | undefined {
  const type = header?.split(';', 1)[0]?.trim().toLowerCase()
  return type === '' ? undefined : type
}

/** The media types a route takes: its schema's `consumes`, else application/json. */
export function acceptedMediaTypes (request: FastifyRequest): string[] {
  return (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes ?? ['application/json']
}

/**
 * A 415 that says what would have been accepted (RFC 9110 §15.5.16), in the detail and in a
 * header: Accept-Patch on PATCH (RFC 5789 §3.1), Accept on the other methods. The header the
 * client sent is not quoted.
 */
export function unsupportedMediaType (request: FastifyRequest, reply: FastifyReply, hint = '') {
  const accepted = acceptedMediaTypes(request)
  reply.header(request.method === 'PATCH' ? 'accept-patch' : 'accept', accepted.join(', '))
  const path = request.routeOptions.url ?? request.url.split('?')[0]
  return {
    status: 415,
    title: 'Unsupported Media Type',
    detail: `Unsupported Media Type: ${request.method} ${path} takes ${accepted.join(' or ')}.${hint === '' ? '' : ` ${hint}`}`
  }
}
