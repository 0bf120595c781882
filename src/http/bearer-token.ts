// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1).
import type { FastifyRequest } from 'fastify'

export function bearerToken (request: FastifyRequest): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}
