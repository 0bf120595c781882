// GET /llm-config/history, GET /llm-config/history/{version}, POST /llm-config/restore.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { withDeadline } from '../../db/deadline.js'
import { sendProblem } from '../../http/problems.js'
import { HistoryPage, HistoryVersion, RestoreRequest } from './schemas.js'
import { LlmConfig } from '../config/schemas.js'
import { PROBLEM_EXAMPLES as examples, problemResponse as problem } from '../../http/problems.js'
import { accessResponses, bodyResponses, failureResponses, HEADERS, invalidPart, unavailableResponse, withHeaders } from '../../http/responses.js'
import { ref } from '../../http/schema.js'
import { sendWriteResult } from '../config/write-result.js'

const MAX_PAGE = 100

const readResponses = {
  ...accessResponses('read'),
  ...failureResponses
}

const historyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const history = app.llmConfig.history
  const deadline = app.config.databaseDeadlineMs
  const bearer = [{ bearerAuth: [] }]

  app.get('/llm-config/history', {
    config: { access: 'read' },
    schema: {
      tags: ['history'],
      summary: 'List changes, newest first',
      description: 'Cursor pagination: follow `next` (or pass the last version seen as `before`). Pages are stable while writes happen.',
      operationId: 'listLlmConfigHistory',
      security: [{}, ...bearer],
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20, description: 'Changes per page' })),
        before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Only versions below this one (the cursor of `next`)' }))
      }),
      response: {
        200: { ...ref(HistoryPage), description: 'A page of changes, newest first, and the link to the next (older) page' },
        400: problem('Invalid limit or before', invalidPart('querystring', 'limit', 'must be <= 100')),
        ...readResponses
      }
    }
  }, async (request) => {
    const limit = request.query.limit ?? 20
    const before = request.query.before
    // One more than asked tells whether an older page exists (HISTORY_RETAIN may have pruned it).
    const found = await withDeadline(deadline, () => history.list({ limit: limit + 1, before }), { idempotent: true })
    const items = found.slice(0, limit)
    const last = items.at(-1)
    const next = found.length > limit && last !== undefined ? `/llm-config/history?limit=${limit}&before=${last.version}` : null
    return { items, next }
  })

  app.get('/llm-config/history/:version', {
    config: { access: 'read' },
    schema: {
      tags: ['history'],
      summary: 'One version: its full state (without the key) and its change record',
      description: 'The whole configuration as it was at that version (api_key_set and api_key_hint describe its key) and the record of ' +
        'the change that made it. Versions pruned by HISTORY_RETAIN are gone (404).',
      operationId: 'getLlmConfigVersion',
      security: [{}, ...bearer],
      params: Type.Object({ version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'A version number', examples: [7] }) }),
      response: {
        200: { ...ref(HistoryVersion), description: 'The version\'s state and change record' },
        400: problem('The version is not a positive integer', invalidPart('params', 'version', 'must be integer')),
        404: problem('No such version', { type: 'about:blank', title: 'Not Found', status: 404, detail: 'Version 42 is not in the history.' }),
        ...readResponses
      }
    }
  }, async (request, reply) => {
    const found = await withDeadline(deadline, () => history.get(request.params.version), { idempotent: true })
    if (!found) return sendProblem(reply, { status: 404, detail: `Version ${request.params.version} is not in the history.` })
    return { change: found.entry, state: found.state }
  })

  app.post('/llm-config/restore', {
    config: { access: 'write' },
    onRequest: app.writeRateLimit,
    schema: {
      tags: ['history'],
      summary: 'Restore an earlier version',
      description: 'Makes a new version whose settings equal the given version\'s. The API key stays the current one unless restore_api_key is true. Honours If-Match.',
      operationId: 'restoreLlmConfig',
      security: bearer,
      headers: Type.Object({
        'if-match': Type.Optional(Type.String({ description: 'Apply only if the configuration still has this ETag (or `*`)' })),
        'if-none-match': Type.Optional(Type.String({ description: 'Apply only if the configuration no longer has this ETag' }))
      }),
      body: ref(RestoreRequest),
      response: {
        200: withHeaders({ ...ref(LlmConfig), description: 'The configuration as stored after the restore' }, HEADERS.etag),
        400: problem('Malformed body', { ...examples.invalidBody, errors: [{ pointer: '#/version', field: 'version', detail: 'must be >= 1' }] }),
        ...accessResponses('write'),
        412: withHeaders(problem('If-Match does not match the current ETag, or If-None-Match does; the ETag header is the current one', examples.precondition), HEADERS.etag),
        413: bodyResponses[413],
        415: bodyResponses[415],
        422: problem('No such version in the history', {
          type: examples.ruleViolation.type,
          title: 'Unknown version',
          status: 422,
          detail: 'There is no such version in the history (it never existed, or HISTORY_RETAIN pruned it).',
          errors: [{ pointer: '#/version', field: 'version', detail: 'is not a version in the history' }]
        }),
        500: problem('The key of that version cannot be decrypted with the configured keys, or an unexpected error', examples.keyUnavailable),
        503: unavailableResponse()
      }
    }
  }, async (request, reply) => {
    const result = await app.llmConfig.restore({
      version: request.body.version,
      restoreApiKey: request.body.restore_api_key,
      actor: request.principal.name,
      ifMatch: request.headers['if-match'],
      ifNoneMatch: request.headers['if-none-match']
    })
    return sendWriteResult(app, request, reply, result)
  })
}

export default historyRoutes
