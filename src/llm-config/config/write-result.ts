// How the outcome of a change is answered, the same for PUT, PATCH, DELETE and restore.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { malformedIfMatch } from '../../http/conditional-requests.js'
import { PROBLEM_TYPES, sendProblem } from '../../http/problems.js'
import type { WriteResult } from './repository.js'

export function sendWriteResult (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, result: WriteResult) {
  switch (result.outcome) {
    case 'written':
      // This replica never serves an older version than the one it just wrote.
      app.live.accept({ config: result.config, etag: result.etag })
      request.log.info({ actor: request.principal.name, version: result.config.version }, 'configuration written')
      return reply.header('etag', result.etag).send(result.config)
    case 'unchanged':
      // The values given are the stored ones: no new version (RFC 9110 §9.3.4 lets a PUT that
      // changes nothing answer as if it had).
      return reply.header('etag', result.etag).send(result.config)
    case 'precondition-failed':
      // The current ETag lets the client retry without reading again.
      reply.header('etag', result.etag)
      return sendProblem(reply, {
        status: 412,
        type: PROBLEM_TYPES.precondition,
        title: 'Precondition Failed',
        detail: preconditionDetail(request, result.failed, result.etag)
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

function preconditionDetail (request: FastifyRequest, failed: 'if-match' | 'if-none-match', etag: string): string {
  if (failed === 'if-none-match') return `If-None-Match matches the current ETag ${etag}: the write was not applied.`
  const ifMatch = request.headers['if-match'] ?? ''
  if (malformedIfMatch(ifMatch)) return `If-Match must list entity tags in double quotes, such as ${etag}: the one given is not an entity tag, so it can never match.`
  return `The configuration changed since the ETag in If-Match was read (it is now ${etag}); read it again and retry.`
}
