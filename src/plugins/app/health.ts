// Liveness (/healthz: the process answers) and readiness (/readyz: the database answers, every
// migration in drizzle/ is applied, and every check a feature added passes — the stored API
// key decrypts with the configured keys, llm-config/index.ts), for orchestrators and load
// balancers. A replica with a wrong ENCRYPTION_KEY is not ready, so a rollout with the wrong
// key stops before it replaces the replicas that work.
//
// /readyz is also 503 when the replica is overloaded or shutting down: the onRequest hooks of
// @fastify/under-pressure (app.ts) and of plugins/drain.ts answer it, as every other route,
// before this handler runs, naming the reason, with Retry-After. /healthz is exempt from both:
// an overloaded replica that its orchestrator restarts loses its work in flight and pushes its
// load onto the others, and a draining one is alive until it exits.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import { withDeadline } from '../../db/deadline.js'
import { isMigrated } from '../../db/migrate.js'
import { PROBLEM_TYPES, ProblemError, sendProblem } from '../../http/problems.js'
import { unavailableResponse } from '../../http/responses.js'
import { loggableError } from '../../logging.js'

/** A readiness check: resolves when ready; a ProblemError's detail says why not. */
export type ReadinessCheck = () => Promise<unknown>

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds a check /readyz runs after the database's (a feature's own condition for serving). */
    addReadinessCheck: (check: ReadinessCheck) => void
  }
  interface FastifyContextConfig {
    /** @fastify/under-pressure's handler for one route; one that returns undefined lets the request through. */
    pressureHandler?: () => undefined
  }
}

const Status = (status: string) => Type.Object({ status: Type.Literal(status) }, { examples: [{ status }] })

export default fp(async function health (app: FastifyInstance) {
  const checks: ReadinessCheck[] = []
  app.decorate('addReadinessCheck', (check: ReadinessCheck) => { checks.push(check) })

  app.get('/healthz', {
    schema: {
      tags: ['health'],
      summary: 'Liveness: the process is up',
      description: 'Answers as long as the process serves HTTP, without touching the database: restart the process when it stops answering. ' +
        'Public, for orchestrators and load balancers.',
      operationId: 'getHealth',
      security: [], // public: probes carry no token
      response: { 200: { ...Status('ok'), description: 'The process is up' } }
    },
    config: { servedWhileDraining: true, pressureHandler: () => undefined }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: the database is reachable and migrated, and the API key decrypts',
      description: 'Ready when the database answers within DATABASE_DEADLINE_MS, every migration is applied and the stored API key decrypts ' +
        'with the configured keys, and the replica is neither overloaded (PRESSURE_MAX_EVENT_LOOP_DELAY_MS, PRESSURE_MAX_HEAP_USED_BYTES) ' +
        'nor shutting down: send traffic only to ready replicas. Public, for orchestrators and load balancers.',
      operationId: 'getReadiness',
      security: [], // public: probes carry no token
      response: {
        200: { ...Status('ready'), description: 'Ready to serve' },
        503: unavailableResponse('The database is unreachable or not migrated, or the stored API key does not decrypt with the configured keys; ' +
          'or the replica is overloaded or shutting down (then with Retry-After)', {
          type: PROBLEM_TYPES.unavailable, title: 'Service Unavailable', status: 503, detail: 'The database is not reachable.'
        })
      }
    }
  }, async (request, reply) => {
    let detail: string
    try {
      const deadline = app.config.databaseDeadlineMs
      if (!await withDeadline(deadline, () => isMigrated(app.database.db), { idempotent: true })) {
        detail = 'The database schema is not migrated to the version this service needs.'
      } else {
        for (const check of checks) await check()
        return { status: 'ready' as const }
      }
    } catch (error) {
      if (error instanceof ProblemError) {
        detail = error.message
      } else {
        request.log.warn({ err: loggableError(error) }, 'readiness check failed')
        detail = 'The database is not reachable.'
      }
    }
    return sendProblem(reply, { status: 503, type: PROBLEM_TYPES.unavailable, title: 'Service Unavailable', detail })
  })
}, { name: 'health' })
