// GET /llm-config/history, GET /llm-config/history/{version}, POST /llm-config/restore.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { withDeadline } from '../db/deadline.js'
import { sendProblem } from '../plugins/errors.js'
import { ifMatchHolds } from './conditional-requests.js'
import { HistoryPage, HistoryVersion, LlmConfig, RestoreRequest, problemResponse as problem, ref } from './schemas.js'
import { sendWriteResult } from './write-result.js'

const MAX_PAGE = 100

const readResponses = {
  401: problem('Missing or unknown bearer token (when READER_TOKENS is configured)'),
  403: problem('The token\'s role does not allow this'),
  429: problem('Too many failed authentications from this address'),
  500: problem('Unexpected error'),
  503: problem('The database did not answer in time; see Retry-After')
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
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20 })),
        before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Only versions below this one' }))
      }),
      response: { 200: ref(HistoryPage), 400: problem('Invalid limit or before'), ...readResponses }
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
      operationId: 'getLlmConfigVersion',
      security: [{}, ...bearer],
      params: Type.Object({ version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
      response: { 200: ref(HistoryVersion), 400: problem('The version is not a positive integer'), 404: problem('No such version'), ...readResponses }
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
      description: 'Makes a new version whose state equals the given version\'s, the API key included. Honours If-Match.',
      operationId: 'restoreLlmConfig',
      security: bearer,
      headers: Type.Object({ 'if-match': Type.Optional(Type.String({ description: 'Apply only if the configuration still has this ETag (or `*`)' })) }),
      body: ref(RestoreRequest),
      response: {
        200: { ...ref(LlmConfig), description: 'The configuration as stored after the restore' },
        400: problem('Malformed body'),
        401: problem('Missing or unknown bearer token'),
        403: problem('The token\'s role does not allow this'),
        412: problem('If-Match does not match the current ETag'),
        415: problem('Content type is not JSON'),
        422: problem('No such version in the history'),
        429: problem('Too many writes or failed authentications from this address'),
        500: problem('The key of that version cannot be decrypted with the configured keys, or an unexpected error'),
        503: problem('The database did not answer in time; see Retry-After')
      }
    }
  }, async (request, reply) => {
    const ifMatch = request.headers['if-match']
    const result = await app.llmConfig.restore({
      version: request.body.version,
      actor: request.principal.name,
      precondition: ifMatch === undefined ? undefined : (etag) => ifMatchHolds(ifMatch, etag)
    })
    return sendWriteResult(app, request, reply, result)
  })
}

export default historyRoutes
