// Event-loop delay and heap limits (@fastify/under-pressure): 503 + Retry-After before the
// process falls over. Its hook answers /readyz too (not ready while overloaded); /healthz opts
// out (plugins/app/health.ts).
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sendProblem } from '../../http/problems.js'

const RETRY_AFTER_S = 10

export default fp(async function pressure (app: FastifyInstance, limits: { maxEventLoopDelayMs: number, maxHeapUsedBytes: number }) {
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
    retryAfter: RETRY_AFTER_S,
    pressureHandler: async (_request, reply, type) => {
      reply.header('retry-after', String(RETRY_AFTER_S))
      // Named by the variable that sets the limit (only these two are configured).
      const limit = type === underPressure.TYPE_HEAP_USED_BYTES ? 'heap use above PRESSURE_MAX_HEAP_USED_BYTES' : 'event-loop delay above PRESSURE_MAX_EVENT_LOOP_DELAY_MS'
      await sendProblem(reply, { status: 503, title: 'Service Unavailable', detail: `The service is overloaded (${limit}); retry shortly.` })
    }
  })
}, { name: 'pressure' })
