// The drain phase of a graceful shutdown (src/server.ts starts it on SIGTERM/SIGINT, before
// app.close()). While draining, every response carries `Connection: close`, so no client keeps
// a connection that the close would later cut; requests already in flight finish normally, new
// ones get 503 problem+json with Retry-After, and /readyz is 503 with them, so load balancers
// and keep-alive clients move to another replica on a clean answer instead of a reset.
import { finished } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { PROBLEM_TYPES, sendProblem } from '../../http/problems.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Starts draining; resolves after `ms`, when the close may begin. */
    drain: (ms: number) => Promise<void>
  }
  interface FastifyContextConfig {
    /** Still served while draining (liveness: the process does answer until it exits). */
    servedWhileDraining?: boolean
  }
}

const DRAIN_RETRY_AFTER_SECONDS = 1 // another replica can take the retry at once
// Reading the rest of a refused request's body is bounded: a client that stalls mid-body
// must not hold the shutdown.
const BODY_READ_MS = 1000

export default fp(async function drain (app: FastifyInstance) {
  let draining = false
  app.decorate('drain', async (ms: number) => {
    draining = true
    // A fixed delay, not "until no connection is open": a client reconnecting after its last
    // answer holds no connection for a moment, and the close would reset it in the accept queue.
    await sleep(ms)
  })

  // Both hooks run on every request: when not draining they return at once, without the
  // promise an async hook costs (the hot path is measured in bench/).
  app.addHook('onRequest', (request, reply, done) => {
    if (!draining || request.routeOptions.config.servedWhileDraining) return done()
    refuse(request, reply).catch(done)
  })
  const refuse = async (request: FastifyRequest, reply: FastifyReply) => {
    // Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
    // answer before the client reads it: read the body first (RFC 9112 §9.6).
    if (!request.raw.complete) await finished(request.raw.resume(), { signal: AbortSignal.timeout(BODY_READ_MS) }).catch(() => {})
    reply.header('retry-after', String(DRAIN_RETRY_AFTER_SECONDS))
    return sendProblem(reply, {
      status: 503, type: PROBLEM_TYPES.unavailable, title: 'Service Unavailable', detail: 'This replica is shutting down; retry on another one.'
    })
  }

  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
}, { name: 'drain' })
