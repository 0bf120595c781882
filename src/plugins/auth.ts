// Bearer-token authentication for writes. Tokens are compared as SHA-256 digests with
// timingSafeEqual: constant time, and independent of the presented token's length.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { PROBLEM_TYPES, sendProblem } from './errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for routes that change the configuration. */
    requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  }
}

const digest = (token: string) => createHash('sha256').update(token).digest()

export function bearerToken (request: FastifyRequest): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}

export default fp(async function auth (app: FastifyInstance, options: { adminToken: string | undefined }) {
  let adminToken = options.adminToken
  if (adminToken === undefined) {
    // Writes are never open: without a configured token, make one and tell the operator once.
    adminToken = randomBytes(24).toString('base64url')
    app.log.warn(`ADMIN_TOKEN is not set: writes need this generated token until restart: ${adminToken}`)
  }
  const expected = digest(adminToken)

  app.decorate('requireAdmin', async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = bearerToken(request)
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return
    reply.header('www-authenticate', 'Bearer realm="llm-config"')
    return sendProblem(reply, {
      status: 401,
      type: PROBLEM_TYPES.unauthorized,
      title: 'Unauthorized',
      detail: presented === undefined ? 'This request needs an Authorization: Bearer <token> header.' : 'The bearer token is not valid.'
    })
  })
}, { name: 'auth' })
