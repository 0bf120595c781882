// RFC 9457 problem details (application/problem+json): the schema every error answer follows,
// the problem types of this API, examples for the OpenAPI document, and how a route sends one.
// https://www.rfc-editor.org/rfc/rfc9457
import type { FastifyReply } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { Type, type Static } from 'typebox'
import { ref } from './schema.js'

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

const FieldError = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer (RFC 6901) to the offending member of the body', examples: ['#/batch_size'] }),
  field: Type.String({ description: 'The offending field', examples: ['batch_size'] }),
  detail: Type.String({ examples: ['must be <= 10000'] })
}, { additionalProperties: false })

const invalidBodyExample = {
  type: PROBLEM_TYPES.validation,
  title: 'Invalid request',
  status: 400,
  detail: 'The request body does not match its schema.',
  errors: [{ pointer: '#/batch_size', field: 'batch_size', detail: 'must be <= 10000' }]
}

export const Problem = Type.Object({
  type: Type.String({ description: 'A URI identifying the kind of problem' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(FieldError, { description: 'The offending fields, for validation errors' }))
}, { $id: 'Problem', description: 'RFC 9457 problem details', examples: [invalidBodyExample] })
export type Problem = Static<typeof Problem>

/** Problems as the service answers them (plugins/app/errors.ts, plugins/app/auth.ts, llm-config/config/write-result.ts), for the document. */
export const PROBLEM_EXAMPLES = {
  invalidBody: invalidBodyExample,
  unauthorized: { type: PROBLEM_TYPES.unauthorized, title: 'Unauthorized', status: 401, detail: 'This request needs an Authorization: Bearer <token> header.' },
  forbidden: (access: 'read' | 'write' | 'reveal') => ({
    type: PROBLEM_TYPES.forbidden, title: 'Forbidden', status: 403, detail: `The token "dashboard" (reader) may not ${access} the configuration.`
  }),
  precondition: {
    type: PROBLEM_TYPES.precondition,
    title: 'Precondition Failed',
    status: 412,
    detail: 'The configuration changed since the ETag in If-Match was read; read it again and retry.'
  },
  unsupportedMediaType: { type: 'about:blank', title: 'Unsupported Media Type', status: 415, detail: 'Unsupported Media Type' },
  ruleViolation: {
    type: PROBLEM_TYPES.rule,
    title: 'Invalid configuration',
    status: 422,
    detail: 'backup_model needs a backup_provider',
    errors: [{ pointer: '#/backup_model', field: 'backup_model', detail: 'backup_model needs a backup_provider' }]
  },
  authFailures: { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Too many failed authentications from this address; retry later.' },
  rateLimited: { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Rate limit exceeded, retry in 1 minute' },
  internal: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'The request could not be completed; the error has been logged.' },
  keyUnavailable: {
    type: PROBLEM_TYPES.secretUnavailable,
    title: 'API key unavailable',
    status: 500,
    detail: 'The stored API key was encrypted with key id 3q2-7wAB, which is neither ENCRYPTION_KEY (Zm9vYmFy) nor in ENCRYPTION_KEYS_OLD.'
  },
  databaseUnavailable: { type: PROBLEM_TYPES.databaseUnavailable, title: 'Service Unavailable', status: 503, detail: 'The database did not answer in time. Retry shortly.' }
} satisfies Record<string, Problem | ((...args: never[]) => Problem)>

/** A response documented (and serialised) as application/problem+json, with an example of what it says. */
export function problemResponse (description: string, example: Problem) {
  return { description, content: { 'application/problem+json': { schema: ref(Problem), example } } }
}

/** A problem as a route states it: type and title may be left to their defaults. */
export type ProblemInput = Omit<Problem, 'title' | 'type'> & Partial<Pick<Problem, 'title' | 'type'>>

export function sendProblem (reply: FastifyReply, problem: ProblemInput) {
  return reply.code(problem.status).type('application/problem+json').send({
    type: problem.type ?? 'about:blank',
    title: problem.title ?? STATUS_CODES[problem.status] ?? 'Error',
    ...problem
  })
}

/**
 * An error that knows the problem it is answered with (plugins/app/errors.ts sends it as it
 * is). Its detail must never quote secrets: it reaches the client and the log.
 */
export class ProblemError extends Error {
  constructor (readonly problem: ProblemInput, readonly logLevel: 'info' | 'warn' | 'error' = 'info') {
    super(problem.detail ?? problem.title ?? 'problem')
  }
}
