// GET /llm-config/watch: Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html).
// On connect: the current state; then one event per new version, in order, the version as
// the event id. A reconnect with Last-Event-ID resumes after that version, replaying what was
// missed from the history, so a watcher never misses or repeats a version. Heartbeat comments
// keep proxies from closing idle streams; WATCH_MAX bounds the watchers of a replica.
import { once } from 'node:events'
import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { withDeadline } from '../../db/deadline.js'
import { loggableError } from '../../logging.js'
import { sendProblem } from '../../http/problems.js'
import type { Snapshot } from '../config/repository.js'
import { CONFIG_EXAMPLE } from '../config/schemas.js'
import { accessResponses, unavailableResponse } from '../../http/responses.js'
import type { LlmConfig } from '../config/schemas.js'
import { FanOut, frame, type Frame, Watcher } from './fan-out.js'

const CONFIG_SCHEMA = { $ref: 'LlmConfig#' }

const RETRY = frame('retry: 2000\n\n') // reconnect after 2 s

const watch: FastifyPluginAsyncTypebox = async (app) => {
  const { max, heartbeatMs } = app.config.watch
  const deadline = app.config.databaseDeadlineMs

  // Events are serialised by the LlmConfig schema, as GET /llm-config is: the same fields in
  // the same order. The compiled serialiser comes with the first watcher's reply.
  let serialize: ((config: LlmConfig) => string) | undefined
  // The current version's event, built once for all watchers (they share the config object).
  let latest: { config: LlmConfig, event: Frame } | undefined
  const eventFor = (config: LlmConfig): Frame => {
    if (latest?.config === config) return latest.event
    const event = frame(`id: ${config.version}\nevent: config\ndata: ${serialize!(config)}\n\n`)
    if (!latest || config.version >= latest.config.version) latest = { config, event }
    return event
  }

  /**
   * Sends `watcher` every version after its last, from the history, until it has the current
   * one; `begin` first (a new watcher's first state). The fan-out leaves it alone meanwhile.
   */
  const catchUp = async (watcher: Watcher, begin?: () => Promise<void>): Promise<void> => {
    watcher.catchingUp = true
    try {
      await begin?.()
      while (watcher.open) {
        // A version published from here on marks it behind again: a read that started before
        // that version committed must not be the last look (the copy untrusted, say).
        watcher.behind = false
        const current = app.live.trusted ?? await app.llmConfig.read()
        const { version } = current.config
        if (version <= watcher.last) {
          if (watcher.behind) continue
          return
        }
        if (version > watcher.last + 1) {
          const missed = await withDeadline(deadline, () => app.llmConfig.history.statesBetween(watcher.last, version - 1), { idempotent: true })
          for (const config of missed) watcher.send(config.version, eventFor(config))
        }
        watcher.send(version, eventFor(current.config))
      }
    } catch (error) {
      app.log.warn({ reqId: watcher.id, err: loggableError(error) }, 'watch stream failed; closing it so the client reconnects')
      watcher.end()
    } finally {
      watcher.catchingUp = false
    }
  }

  const fanOut = new FanOut({
    eventFor,
    catchUp: (watcher) => {
      if (watcher.catchingUp) watcher.behind = true
      else catchUp(watcher).catch(() => {})
    },
    onError: (error) => app.log.error({ err: loggableError(error) }, 'a version could not be delivered to the watchers')
  })
  const onVersion = (snapshot: Snapshot) => fanOut.publish(snapshot.config)
  app.live.events.on('version', onVersion)
  const heartbeat = setInterval(() => { fanOut.beat().catch(fanOut.options.onError) }, heartbeatMs).unref()
  app.addHook('onClose', async () => {
    clearInterval(heartbeat)
    app.live.events.off('version', onVersion)
  })
  // Open streams would hold a graceful shutdown for ever: end them first.
  app.addHook('preClose', async () => {
    for (const watcher of fanOut.watchers) watcher.end()
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
          detail: 'This replica already serves 10000 watchers (WATCH_MAX); retry later or elsewhere.'
        })
      }
    }
  }, async (request, reply) => {
    if (fanOut.watchers.size >= max) {
      reply.header('retry-after', '5')
      return sendProblem(reply, { status: 503, detail: `This replica already serves ${max} watchers (WATCH_MAX); retry later or elsewhere.` })
    }
    const resumeAfter = /^\d{1,15}$/.test(request.headers['last-event-id'] ?? '') ? Number(request.headers['last-event-id']) : undefined

    serialize ??= reply.compileSerializationSchema(CONFIG_SCHEMA) as (config: LlmConfig) => string
    const response = reply.raw
    reply.hijack()
    response.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders), // CORS and security headers set by the hooks
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no' // nginx: do not buffer the stream
    })
    response.flushHeaders()
    // A pipelined request's response gets its socket only once the answers before it are sent
    // (and its head is flushed then, before this continues); the client may leave first.
    if (response.socket === null) {
      const assigned = await Promise.race([once(response, 'socket').then(() => true), once(response, 'close').then(() => false)]).catch(() => false)
      if (!assigned || response.socket === null) return
    }
    // Only the watcher is kept for the stream's life, not the request or the reply.
    const watcher = new Watcher(response, request.id)
    watcher.write(RETRY)
    fanOut.watchers.add(watcher)
    app.live.watchers = fanOut.watchers.size
    response.on('close', () => {
      fanOut.watchers.delete(watcher)
      app.live.watchers = fanOut.watchers.size
    })

    // In the fan-out before the current state is read, so no version falls between the two.
    await catchUp(watcher, async () => {
      let current = app.live.trusted ?? await app.llmConfig.read()
      // Ahead of this replica's copy: another replica may have written a version whose NOTIFY
      // has not arrived yet. The database says whether that version exists.
      if (resumeAfter !== undefined && resumeAfter > current.config.version) current = await app.llmConfig.read()
      app.live.accept(current)
      // Ahead of the database too: a version the history does not have (a database restored
      // from a backup) would be waited for for ever. The watcher gets the current state at once.
      if (resumeAfter === undefined || resumeAfter > current.config.version) watcher.send(current.config.version, eventFor(current.config))
      else watcher.last = resumeAfter
    })
  })
}

export default watch
