// GET /llm-config/watch: Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html).
// On connect: the current state; then one event per new version, in order, the version as
// the event id. A reconnect with Last-Event-ID resumes after that version, replaying what was
// missed from the history, so a watcher never misses or repeats a version. Heartbeat comments
// keep proxies from closing idle streams; WATCH_MAX bounds the watchers of a replica.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { withDeadline } from '../../db/deadline.js'
import { loggableError } from '../../logging.js'
import { sendProblem } from '../../http/problems.js'
import type { Snapshot } from '../config/repository.js'
import { CONFIG_EXAMPLE } from '../config/schemas.js'
import { accessResponses, unavailableResponse } from '../../http/responses.js'
import type { LlmConfig } from '../config/schemas.js'

const CONFIG_SCHEMA = { $ref: 'LlmConfig#' }

const watch: FastifyPluginAsyncTypebox = async (app) => {
  const watchers = new Set<ServerResponse>()
  const { max, heartbeatMs } = app.config.watch
  const deadline = app.config.databaseDeadlineMs

  // Open streams would hold a graceful shutdown for ever: end them first.
  app.addHook('preClose', async () => {
    for (const stream of watchers) stream.end()
  })

  app.get('/llm-config/watch', {
    config: { access: 'read' },
    exposeHeadRoute: false, // a HEAD would hold a watcher's place and never answer
    schema: {
      tags: ['llm-config'],
      summary: 'Watch the configuration (Server-Sent Events)',
      description: 'Events `config` carry the whole configuration (as GET /llm-config) with its version as the event id: first the current ' +
        'state (or, with Last-Event-ID, every version after it), then each new version in order. Comments (`: heartbeat`) keep the stream alive.',
      operationId: 'watchLlmConfig',
      security: [{}, { bearerAuth: [] }],
      headers: Type.Object({
        'last-event-id': Type.Optional(Type.String({ description: 'The last version received: resume after it' }))
      }),
      response: {
        200: {
          description: 'An event stream',
          content: {
            'text/event-stream': {
              schema: { type: 'string', description: 'Events `config` whose data is the configuration (LlmConfig) as JSON, and heartbeat comments' },
              example: `retry: 2000\n\nid: 7\nevent: config\ndata: ${JSON.stringify(CONFIG_EXAMPLE)}\n\n: heartbeat\n\n`
            }
          }
        },
        ...accessResponses('read'),
        503: unavailableResponse('This replica has as many watchers as WATCH_MAX allows, or is shutting down or overloaded; see Retry-After', {
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          detail: 'This replica already serves 100 watchers (WATCH_MAX); retry later or elsewhere.'
        })
      }
    }
  }, async (request, reply) => {
    if (watchers.size >= max) {
      reply.header('retry-after', '5')
      return sendProblem(reply, { status: 503, detail: `This replica already serves ${max} watchers (WATCH_MAX); retry later or elsewhere.` })
    }
    const resumeAfter = /^\d{1,15}$/.test(request.headers['last-event-id'] ?? '') ? Number(request.headers['last-event-id']) : undefined

    // Events are serialised by the LlmConfig schema, as GET /llm-config is: the same fields in the same order.
    const serialize = reply.compileSerializationSchema(CONFIG_SCHEMA) as (config: LlmConfig) => string
    const stream = reply.raw
    reply.hijack()
    stream.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders), // CORS and security headers set by the hooks
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no' // nginx: do not buffer the stream
    })
    stream.write('retry: 2000\n\n') // reconnect after 2 s
    watchers.add(stream)
    app.live.watchers = watchers.size

    let last = 0 // the last version sent
    const send = (config: LlmConfig) => {
      if (config.version <= last) return
      stream.write(`id: ${config.version}\nevent: config\ndata: ${serialize(config)}\n\n`)
      last = config.version
    }
    // Versions are delivered one at a time, in order: a gap is filled from the history first.
    const deliver = async (snapshot: Snapshot) => {
      if (snapshot.config.version <= last) return
      if (snapshot.config.version > last + 1) {
        const missed = await withDeadline(deadline, () => app.llmConfig.history.statesBetween(last, snapshot.config.version - 1), { idempotent: true })
        for (const config of missed) send(config)
      }
      send(snapshot.config)
    }
    let queue = Promise.resolve()
    const enqueue = (work: () => Promise<void>) => {
      queue = queue.then(work).catch((error: unknown) => {
        request.log.warn({ err: loggableError(error) }, 'watch stream failed; closing it so the client reconnects')
        stream.end()
      })
    }

    // Subscribe before reading the current state, so no version falls between the two.
    const onVersion = (snapshot: Snapshot) => enqueue(() => deliver(snapshot))
    app.live.events.on('version', onVersion)
    const heartbeat = setInterval(() => stream.write(': heartbeat\n\n'), heartbeatMs)
    stream.on('close', () => {
      clearInterval(heartbeat)
      app.live.events.off('version', onVersion)
      watchers.delete(stream)
      app.live.watchers = watchers.size
    })

    enqueue(async () => {
      let current = app.live.trusted ?? await app.llmConfig.read()
      // Ahead of this replica's copy: another replica may have written a version whose NOTIFY
      // has not arrived yet. The database says whether that version exists.
      if (resumeAfter !== undefined && resumeAfter > current.config.version) {
        current = await app.llmConfig.read()
      }
      app.live.accept(current)
      // Ahead of the database too: a version the history does not have (a database restored
      // from a backup) would be waited for for ever. The watcher gets the current state at once.
      if (resumeAfter === undefined || resumeAfter > current.config.version) return send(current.config)
      last = resumeAfter
      await deliver(current)
    })
  })
}

export default watch
