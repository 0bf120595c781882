// One error handler speaking RFC 9457 problem details (application/problem+json) for every
// error the service returns. 5xx answers never show internals, and error logs never carry
// an error's message or parameters: Drizzle's query errors embed the bound values, and one
// of them can be the API key.
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { DatabaseUnavailableError } from '../../db/deadline.js'
import { unsupportedMediaType } from '../../http/media-types.js'
import { validationDetail } from '../../http/responses.js'
import { PROBLEM_TYPES, ProblemError, sendProblem, type Problem } from '../../http/problems.js'
import { loggableError } from '../../logging.js'
import type { Formats } from './validation.js'

type FieldError = NonNullable<Problem['errors']>[number]

interface AjvError { instancePath: string, keyword: string, schemaPath: string, message?: string, params: Record<string, unknown> }

/** Ajv errors → one entry per offending field and message, worded for people. */
export function fieldErrors (errors: AjvError[], formats: Formats): FieldError[] {
  const entries = new Map<string, FieldError>()
  const add = (path: string, detail: string) => {
    const field = path.slice(1).split('/').map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~')).join('.') || '(body)'
    entries.set(`${path}\0${detail}`, { pointer: `#${path}`, field, detail })
  }
  // A nullable field fails both branches of its anyOf; the non-null branch says what is wrong.
  // A custom format carries a pattern for other tools (llm-config/config/schemas.ts): both fail
  // together, and the format's wording says more than the pattern's regular expression.
  const formatFailed = new Set(errors.filter((e) => e.keyword === 'format').map((e) => e.instancePath))
  const real = errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null') &&
    !(e.keyword === 'pattern' && formatFailed.has(e.instancePath)))
  for (const error of real.length > 0 ? real : errors) {
    if (error.keyword === 'additionalProperties') {
      // Ajv's instancePath is already a JSON Pointer; the property name needs escaping (RFC 6901).
      const name = String(error.params.additionalProperty).replaceAll('~', '~0').replaceAll('/', '~1')
      add(`${error.instancePath}/${name}`, 'is not a known field')
    } else if (error.keyword === 'format' && formats[String(error.params.format)]) {
      add(error.instancePath, `must be ${formats[String(error.params.format)]?.description}`)
    } else if (error.keyword === 'enum') {
      add(error.instancePath, `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`)
    } else {
      add(error.instancePath, error.message ?? 'is invalid')
    }
  }
  return [...entries.values()]
}

export default fp(async function errors (app: FastifyInstance, { formats }: { formats: Formats }) {
  app.setNotFoundHandler((request, reply) => sendProblem(reply, {
    status: 404, detail: `No route ${request.method} ${request.url.split('?')[0]}`
  }))

  app.setErrorHandler((error: FastifyError & { validation?: AjvError[] }, request, reply) => {
    if (error.validation) {
      request.log.info({ code: 'FST_ERR_VALIDATION' }, 'rejected: validation error')
      return sendProblem(reply, {
        status: 400,
        type: PROBLEM_TYPES.validation,
        title: 'Invalid request',
        detail: validationDetail(error.validationContext),
        errors: fieldErrors(error.validation, formats)
      })
    }
    if (error instanceof DatabaseUnavailableError) {
      request.log.warn({ reason: error.reason }, 'database unavailable')
      reply.header('retry-after', '1')
      return sendProblem(reply, {
        status: 503,
        type: PROBLEM_TYPES.databaseUnavailable,
        title: 'Service Unavailable',
        detail: `${error.message} Retry shortly.`
      })
    }
    if (error instanceof ProblemError) {
      // An error that states its own answer (an undecryptable key, say): its detail is written
      // for the client and never quotes a secret.
      request.log[error.logLevel]({ err: { type: error.name } }, error.message)
      return sendProblem(reply, error.problem)
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status < 500) {
      // Client errors (ours and Fastify's: 413, 415, bad JSON) have fixed messages that never
      // quote the request.
      request.log.info({ code: error.code, status }, 'rejected request')
      if (status === 415) return sendProblem(reply, unsupportedMediaType(request, reply))
      return sendProblem(reply, { status, detail: error.message })
    }
    request.log.error({ err: loggableError(error) }, 'request failed')
    return sendProblem(reply, { status, detail: 'The request could not be completed; the error has been logged.' })
  })
}, { name: 'errors' })
