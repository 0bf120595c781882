// Liveness (/healthz: the process answers) and readiness (/readyz: the database answers and
// every migration in drizzle/ is applied), for orchestrators and load balancers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { isMigrated } from '../db/migrate.js'
import { problemResponse } from '../llm-config/schemas.js'
import { PROBLEM_TYPES, loggableError, sendProblem } from './errors.js'

const Status = (status: string) => Type.Object({ status: Type.Literal(status) })

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: {
      tags: ['health'],
      summary: 'Liveness: the process is up',
      operationId: 'getHealth',
      response: { 200: Status('ok') }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: the database is reachable and migrated',
      operationId: 'getReadiness',
      response: { 200: Status('ready'), 503: problemResponse('The database is unreachable or not migrated') }
    }
  }, async (request, reply) => {
    let detail: string
    try {
      if (await isMigrated(app.database.db)) return { status: 'ready' as const }
      detail = 'The database schema is not migrated to the version this service needs.'
    } catch (error) {
      request.log.warn({ err: loggableError(error) }, 'readiness check failed')
      detail = 'The database is not reachable.'
    }
    return sendProblem(reply, { status: 503, type: PROBLEM_TYPES.unavailable, title: 'Service Unavailable', detail })
  })
}

export default health
