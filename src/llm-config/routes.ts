// GET/PUT/PATCH/DELETE /llm-config: declarations first, handlers short (parse → repository → reply).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { PROBLEM_TYPES, sendProblem } from '../plugins/errors.js'
import { ifMatchHolds, ifNoneMatchHolds } from './conditional-requests.js'
import { createLlmConfigRepository, type WriteKind } from './repository.js'
import { LlmConfig, LlmConfigInput, problemResponse, ref } from './schemas.js'

const problem = problemResponse

const writeResponses = {
  200: { ...ref(LlmConfig), description: 'The configuration as stored after the write' },
  400: problem('Malformed JSON, a forbidden key, or a body that does not match LlmConfigInput'),
  401: problem('Missing or invalid bearer token'),
  412: problem('If-Match does not match the current ETag: the configuration changed since it was read'),
  413: problem('Body larger than 1 MiB'),
  415: problem('Content type is not JSON'),
  422: problem('The resulting configuration breaks a rule (backup_model needs a backup_provider)'),
  500: problem('Unexpected error')
}

const IfMatch = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Apply the write only if the configuration still has this ETag (or `*`)' }))
})

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const repository = createLlmConfigRepository(app.database.db)

  app.get('/llm-config', {
    schema: {
      tags: ['llm-config'],
      summary: 'Read the configuration',
      description: 'Every setting, without the API key (api_key_set tells whether one is stored). Conditional with If-None-Match.',
      operationId: 'getLlmConfig',
      headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ description: 'A previously received ETag' })) }),
      response: {
        200: { ...ref(LlmConfig), description: 'The configuration; its ETag header identifies this state' },
        304: { description: 'Not modified: the If-None-Match ETag is still current', type: 'null' },
        500: problem('Unexpected error')
      }
    }
  }, async (request, reply) => {
    const { config, etag } = await repository.read()
    reply.header('etag', etag).header('cache-control', 'no-cache')
    const ifNoneMatch = request.headers['if-none-match']
    if (ifNoneMatch !== undefined && !ifNoneMatchHolds(ifNoneMatch, etag)) return reply.code(304).send(null)
    return config
  })

  // The body was validated against LlmConfigInput by the route schema (absent for DELETE).
  const write = (kind: WriteKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ifMatch = request.headers['if-match']
    const result = await repository.write({
      kind,
      input: (request.body ?? {}) as LlmConfigInput,
      precondition: ifMatch === undefined ? undefined : (etag) => ifMatchHolds(ifMatch, etag)
    })
    switch (result.outcome) {
      case 'written':
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
    }
  }

  const writeSchema = (operationId: string, summary: string, description: string) => ({
    tags: ['llm-config'],
    summary,
    description,
    operationId,
    security: [{ bearerAuth: [] }],
    headers: IfMatch,
    response: writeResponses
  })

  app.put('/llm-config', {
    onRequest: app.requireAdmin, // before the body is parsed or validated
    // A merge patch sent with PUT would reset every setting it leaves out: refuse it.
    preValidation: async (request, reply) => {
      if (!request.headers['content-type']?.startsWith('application/merge-patch+json')) return
      return sendProblem(reply, { status: 415, detail: 'PUT takes application/json; send a merge patch with PATCH.' })
    },
    schema: {
      consumes: ['application/json'],
      ...writeSchema('replaceLlmConfig', 'Replace the configuration',
        'Given settings take the given values; settings left out return to their defaults. api_key: a string sets it, null clears it, absent keeps it.'),
      body: ref(LlmConfigInput)
    }
  }, write('replace'))

  app.patch('/llm-config', {
    onRequest: app.requireAdmin, // before the body is parsed or validated
    schema: {
      consumes: ['application/merge-patch+json', 'application/json'],
      ...writeSchema('updateLlmConfig', 'Update some settings (JSON Merge Patch)',
        'RFC 7396 merge patch (application/merge-patch+json or application/json): only the given settings change; null clears a nullable setting.'),
      body: ref(LlmConfigInput)
    }
  }, write('merge'))

  app.delete('/llm-config', {
    onRequest: app.requireAdmin, // before the body is parsed or validated
    schema: writeSchema('resetLlmConfig', 'Reset the configuration to its defaults',
      'Every setting returns to its default and the API key is cleared.')
  }, write('reset'))
}

export default routes
