// How the outcome of a change is answered, the same for PUT, PATCH, DELETE and restore.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_TYPES, sendProblem } from '../../http/problems.js'
import type { WriteResult } from './repository.js'

export function sendWriteResult (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, result: WriteResult) {
  switch (result.outcome) {
    case 'written':
      // This replica never serves an older version than the one it just wrote.
      app.live.accept({ config: result.config, etag: result.etag })
      request.log.info({ actor: request.principal.name, version: result.config.version }, 'configuration written')
      return reply.header('etag', result.etag).send(result.config)
    case 'precondition-failed':
      return sendProblem(reply, {
        status: 412,
        type: PROBLEM_TYPES.precondition,
        title: 'Precondition Failed',
        detail: 'The configuration changed since the ETag in If-Match was read; read it again and retry.'
      })
    case 'rule-violation':
      return sendProblem(reply, {
        status: 422,
        type: PROBLEM_TYPES.rule,
        title: 'Invalid configuration',
        detail: result.violations.map((violation) => violation.detail).join('; '),
        errors: result.violations.map(({ field, detail }) => ({ pointer: `#/${field}`, field, detail }))
      })
    case 'unknown-version':
      return sendProblem(reply, {
        status: 422,
        type: PROBLEM_TYPES.rule,
        title: 'Unknown version',
        detail: 'There is no such version in the history (it never existed, or HISTORY_RETAIN pruned it).',
        errors: [{ pointer: '#/version', field: 'version', detail: 'is not a version in the history' }]
      })
  }
}
