// CORS (@fastify/cors), closed unless CORS_ORIGINS names the browser origins allowed to call
// the API; closed, app.ts does not register it at all (its hook would run on every request to say no).
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export default fp(async function corsPolicy (app: FastifyInstance, { origins }: { origins: string[] }) {
  await app.register(cors, {
    origin: origins,
    methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'last-event-id'],
    exposedHeaders: ['etag', 'retry-after', 'allow']
  })
}, { name: 'cors-policy' })
