// One error handler speaking RFC 9457 problem details (application/problem+json) for every
// error the service returns. 5xx answers never show internals, and error logs never carry
// an error's message or parameters: Drizzle's query errors embed the bound values, and one
// of them can be the API key.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { STATUS_CODES } from 'node:http'
import type { Problem } from '../llm-config/schemas.js'
import { DatabaseUnavailableError } from '../db/deadline.js'
import { SecretUnavailableError } from '../llm-config/secrets.js'
import { FORMATS } from './validation.js'

export const PROBLEM_TYPES = {
  validation: 'urn:llm-config:problem:validation-error',
  rule: 'urn:llm-config:problem:rule-violation',
  precondition: 'urn:llm-config:problem:precondition-failed',
  unauthorized: 'urn:llm-config:problem:unauthorized',
  forbidden: 'urn:llm-config:problem:forbidden',
  unavailable: 'urn:llm-config:problem:service-unavailable',
  databaseUnavailable: 'urn:llm-config:problem:database-unavailable',
  secretUnavailable: 'urn:llm-config:problem:secret-unavailable'
} as const

type FieldError = NonNullable<Problem['errors']>[number]

export function sendProblem (reply: FastifyReply, problem: Omit<Problem, 'title' | 'type'> & Partial<Pick<Problem, 'title' | 'type'>>) {
  return reply.code(problem.status).type('application/problem+json').send({
    type: problem.type ?? 'about:blank',
    title: problem.title ?? STATUS_CODES[problem.status] ?? 'Error',
    ...problem
  })
}

interface AjvError { instancePath: string, keyword: string, schemaPath: string, message?: string, params: Record<string, unknown> }

/** Ajv errors → one entry per offending field and message, worded for people. */
export function fieldErrors (errors: AjvError[]): FieldError[] {
  const entries = new Map<string, FieldError>()
  const add = (path: string, detail: string) => {
    const field = path.slice(1).split('/').map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~')).join('.') || '(body)'
    entries.set(`${path}\0${detail}`, { pointer: `#${path}`, field, detail })
  }
  // A nullable field fails both branches of its anyOf; the non-null branch says what is wrong.
  const real = errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null'))
  for (const error of real.length > 0 ? real : errors) {
    if (error.keyword === 'additionalProperties') {
      // Ajv's instancePath is already a JSON Pointer; the property name needs escaping (RFC 6901).
      const name = String(error.params.additionalProperty).replaceAll('~', '~0').replaceAll('/', '~1')
      add(`${error.instancePath}/${name}`, 'is not a known field')
    } else if (error.keyword === 'format' && FORMATS[String(error.params.format)]) {
      add(error.instancePath, `must be ${FORMATS[String(error.params.format)]?.description}`)
    } else if (error.keyword === 'enum') {
      add(error.instancePath, `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`)
    } else {
      add(error.instancePath, error.message ?? 'is invalid')
    }
  }
  return [...entries.values()]
}

/** What may be logged of an unexpected error: its kind, codes and stack frames, never its message. */
export function loggableError (error: unknown) {
  const err = error as { name?: string, code?: unknown, stack?: string, cause?: { code?: unknown, name?: string } }
  return {
    type: err.name,
    code: err.code ?? err.cause?.code, // SQLSTATE for database errors
    cause: err.cause?.name,
    // Only the "at …" lines: a message can span lines (Drizzle's ends with "params: …").
    frames: err.stack?.split('\n').filter((line) => /^\s+at /.test(line)).join('\n')
  }
}

export default fp(async function errors (app: FastifyInstance) {
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
        detail: `The request ${error.validationContext ?? 'body'} does not match its schema.`,
        errors: fieldErrors(error.validation)
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
    if (error instanceof SecretUnavailableError) {
      // Fail closed, and say why: the message names key ids, never key material.
      request.log.error({ err: { type: error.name } }, error.detail)
      return sendProblem(reply, { status: 500, type: PROBLEM_TYPES.secretUnavailable, title: 'API key unavailable', detail: error.detail })
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status < 500) {
      // Client errors (ours and Fastify's: 413, 415, bad JSON) have fixed messages that never
      // quote the request.
      request.log.info({ code: error.code, status }, 'rejected request')
      return sendProblem(reply, { status, detail: error.message })
    }
    request.log.error({ err: loggableError(error) }, 'request failed')
    return sendProblem(reply, { status, detail: 'The request could not be completed; the error has been logged.' })
  })
}, { name: 'errors' })
