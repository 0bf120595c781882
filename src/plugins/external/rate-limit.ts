// Limits on writes (@fastify/rate-limit): one budget per client address for every write route,
// as `app.writeRateLimit`, an onRequest hook the write routes name. Route-level rateLimit
// configs would each count apart. Failed authentications have their own limit (plugins/app/auth.ts).
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook of every route that changes the configuration. */
    writeRateLimit: onRequestAsyncHookHandler
  }
}

export default fp(async function writeLimits (app: FastifyInstance, { writesPerMinute }: { writesPerMinute: number }) {
  await app.register(rateLimit, { global: false })
  app.decorate('writeRateLimit', app.rateLimit({
    max: writesPerMinute, timeWindow: 60_000, keyGenerator: (request) => `writes:${request.ip}`
  }))
}, { name: 'write-limits' })
