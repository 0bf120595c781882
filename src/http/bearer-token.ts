// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1).
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'

/** A token's SHA-256 digest: tokens are compared as digests, with timingSafeEqual, never as strings. */
export const tokenDigest = (token: string) => createHash('sha256').update(token).digest()

export function bearerToken (request: FastifyRequest): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}
