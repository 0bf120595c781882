// /llm-config and /llm-config/credentials: declarations first, handlers short
// (parse → repository → reply). Who may call what is declared in `config.access` (plugins/auth.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { sendProblem } from '../../http/problems.js'
import { failedPrecondition, ifNoneMatchHolds, malformedIfMatch } from '../../http/conditional-requests.js'
import { PROBLEM_TYPES } from '../../http/problems.js'
import type { WriteKind } from './repository.js'
import { sendWriteResult } from './write-result.js'
import { Credentials, LlmConfig, LlmConfigInput } from './schemas.js'
import { PROBLEM_EXAMPLES as examples, problemResponse as problem } from '../../http/problems.js'
import { accessResponses, bodyResponses, failureResponses, HEADERS, invalidPart, unavailableResponse, unsupportedMediaTypeResponse, withHeaders } from '../../http/responses.js'
import { ref } from '../../http/schema.js'
import { mediaTypeOf, unsupportedMediaType } from '../../http/media-types.js'

const writeResponses = (accepted: string[], header: Record<string, { type: string, description: string }> = HEADERS.accept) => ({
  200: withHeaders({ ...ref(LlmConfig), description: 'The configuration as stored after the write' }, HEADERS.etag),
  400: problem('Malformed JSON, a forbidden key, or a body that does not match LlmConfigInput', examples.invalidBody),
  ...accessResponses('write'),
  412: withHeaders(problem('If-Match does not match the current ETag (the configuration changed since it was read), or If-None-Match does; the ETag header is the current one',
    examples.precondition), HEADERS.etag),
  413: bodyResponses[413],
  415: unsupportedMediaTypeResponse(accepted, header),
  422: problem('The resulting configuration breaks a rule (backup_model needs a backup_provider)', examples.ruleViolation),
  ...failureResponses
})

/** What PATCH takes: a merge patch (RFC 7396), also as plain JSON. */
const MERGE_PATCH_TYPES = ['application/merge-patch+json', 'application/json']

const IfMatch = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Apply the write only if the configuration still has this ETag (or `*`), e.g. `"7"`' })),
  'if-none-match': Type.Optional(Type.String({ description: 'Apply the write only if the configuration no longer has this ETag (`*`: never, as the configuration always exists)' }))
})

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const repository = app.llmConfig
  const bearer = [{ bearerAuth: [] }]
  const writeRateLimit = app.writeRateLimit
  let served: { etag: string, body: string } | undefined
  const readThrough = async () => {
    const snapshot = await repository.read()
    app.live.accept(snapshot)
    return snapshot
  }

  app.get('/llm-config', {
    config: { access: 'read' },
    schema: {
      tags: ['llm-config'],
      summary: 'Read the configuration',
      description: 'Every setting, without the API key (api_key_set and api_key_hint describe it). Conditional with If-None-Match. ' +
        'Open until READER_TOKENS is configured; then any token may read.',
      operationId: 'getLlmConfig',
      security: [{}, ...bearer],
      headers: Type.Object({
        'if-match': Type.Optional(Type.String({ description: 'Answer only if the configuration still has this ETag (or `*`); 412 otherwise' })),
        'if-none-match': Type.Optional(Type.String({ description: 'A previously received ETag' })),
        'cache-control': Type.Optional(Type.String({ description: '`no-cache` reads from the database instead of the replica\'s copy' }))
      }),
      querystring: Type.Object({
        consistent: Type.Optional(Type.Boolean({ description: 'true reads from the database instead of the replica\'s copy' }))
      }),
      response: {
        200: withHeaders({ ...ref(LlmConfig), description: 'The configuration; its ETag header identifies this state' }, HEADERS.etag),
        304: withHeaders({ description: 'Not modified: the If-None-Match ETag is still current', type: 'null' }, HEADERS.etag),
        400: problem('An invalid query string (`?consistent=maybe`)', invalidPart('querystring', 'consistent', 'must be boolean')),
        ...accessResponses('read'),
        412: withHeaders(problem('If-Match does not name the current ETag; the ETag header is the current one', {
          ...examples.precondition, detail: 'The configuration\'s current ETag is "7", which If-Match does not name.'
        }), HEADERS.etag),
        ...failureResponses
      }
    }
  }, async (request, reply) => {
    // From the replica's copy (no database round trip) unless it cannot be trusted right now
    // or the client asks for a consistent read.
    const consistent = request.query.consistent === true || /\bno-cache\b/.test(request.headers['cache-control'] ?? '')
    const { config, etag } = (!consistent && app.live.forRead()) || await readThrough()
    reply.header('etag', etag).header('cache-control', 'no-cache')
    // A false If-Match is 412 on a GET too (RFC 9110 §13.1.1), evaluated before If-None-Match
    // (§13.2.2); the ETag header above tells the client the current one.
    const ifMatch = request.headers['if-match']
    if (ifMatch !== undefined && failedPrecondition({ ifMatch }, etag) === 'if-match') {
      return sendProblem(reply, {
        status: 412,
        type: PROBLEM_TYPES.precondition,
        title: 'Precondition Failed',
        detail: malformedIfMatch(ifMatch)
          ? `If-Match must list entity tags in quotes (such as ${etag}) or *; the current ETag is ${etag}.`
          : `The configuration's current ETag is ${etag}, which If-Match does not name.`
      })
    }
    const ifNoneMatch = request.headers['if-none-match']
    // No payload at all: a serialised null would set Content-Length: 4 on a body-less 304, and
    // clients that trust Content-Length would wait for bytes that never come.
    if (ifNoneMatch !== undefined && !ifNoneMatchHolds(ifNoneMatch, etag)) return reply.code(304).send(undefined as unknown as null)
    // A version never changes: serialise it (through the route's response schema) once, not
    // on every read. A JSON string is sent as it is.
    if (served?.etag !== etag) served = { etag, body: reply.serialize(config) as string }
    return reply.type('application/json; charset=utf-8').send(served.body as unknown as typeof config)
  })

  app.get('/llm-config/credentials', {
    config: { access: 'reveal' },
    schema: {
      tags: ['llm-config'],
      summary: 'Reveal the API key',
      description: 'The plaintext API key, for admin and consumer tokens (the workers that call the provider). Every reveal is logged with the token\'s name.',
      operationId: 'getLlmConfigCredentials',
      security: bearer,
      response: {
        200: withHeaders({ ...ref(Credentials), description: 'The key (null when none is stored); never cached' }, HEADERS.noStore),
        ...accessResponses('reveal'),
        403: problem('The token\'s role does not allow this (reader tokens may not reveal the key)', examples.forbidden('reveal')),
        500: problem('The stored key cannot be decrypted with the configured encryption keys (fails closed), or an unexpected error', examples.keyUnavailable),
        503: unavailableResponse()
      }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const apiKey = await repository.readApiKey()
    request.log.info({ actor: request.principal.name, role: request.principal.role }, 'API key revealed')
    return { api_key: apiKey }
  })

  // The body was validated against LlmConfigInput by the route schema (absent for DELETE).
  const write = (kind: WriteKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await repository.write({
      kind,
      input: (request.body ?? {}) as LlmConfigInput,
      actor: request.principal.name,
      ifMatch: request.headers['if-match'],
      ifNoneMatch: request.headers['if-none-match']
    })
    return sendWriteResult(app, request, reply, result)
  }

  const writeSchema = (operationId: string, summary: string, description: string) => ({
    tags: ['llm-config'],
    summary,
    description,
    operationId,
    security: bearer,
    headers: IfMatch,
    response: writeResponses(['application/json'])
  })

  app.put('/llm-config', {
    config: { access: 'write' },
    onRequest: writeRateLimit,
    // A merge patch sent with PUT would reset every setting it leaves out: refuse it.
    preValidation: async (request, reply) => {
      if (mediaTypeOf(request.headers['content-type']) !== 'application/merge-patch+json') return
      reply.header('accept-patch', MERGE_PATCH_TYPES.join(', ')) // where a merge patch does go (RFC 5789 §3.1)
      return sendProblem(reply, unsupportedMediaType(request, reply, 'Send a merge patch with PATCH.'))
    },
    schema: {
      ...writeSchema('replaceLlmConfig', 'Replace the configuration',
        'Given settings take the given values; settings left out return to their defaults. api_key: a string sets it, null clears it, absent keeps it.'),
      consumes: ['application/json'],
      // A merge patch sent here is refused with Accept-Patch naming where it goes.
      response: writeResponses(['application/json'], { ...HEADERS.accept, ...HEADERS.acceptPatch }),
      body: ref(LlmConfigInput)
    }
  }, write('replace'))

  app.patch('/llm-config', {
    config: { access: 'write' },
    onRequest: writeRateLimit,
    schema: {
      ...writeSchema('updateLlmConfig', 'Update some settings (JSON Merge Patch)',
        'RFC 7396 merge patch (application/merge-patch+json or application/json): only the given settings change; null clears a nullable setting.'),
      consumes: MERGE_PATCH_TYPES,
      response: writeResponses(MERGE_PATCH_TYPES, HEADERS.acceptPatch),
      body: ref(LlmConfigInput)
    }
  }, write('merge'))

  app.delete('/llm-config', {
    config: { access: 'write' },
    onRequest: writeRateLimit,
    schema: writeSchema('resetLlmConfig', 'Reset the configuration to its defaults',
      'Every setting returns to its default and the API key is cleared.')
  }, write('reset'))
}

export default routes
