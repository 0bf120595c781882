// Live propagation: every committed change NOTIFYs its version (llm-config/history.ts); every
// replica LISTENs on a connection of its own and refreshes its copy (llm-config/live.ts).
// The copy is trusted only while LISTEN holds and the copy was read after LISTEN took effect:
// when the connection drops, or a refresh fails, reads go to the database until LISTEN is back
// and a fresh read succeeded. The embedded database delivers NOTIFY in-process the same way.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import postgres from 'postgres'
import { reconnectBackoff } from '../../db/client.js'
import { NOTIFY_CHANNEL } from '../history/queries.js'
import { LiveConfig } from './live.js'
import { loggableError } from '../../logging.js'

declare module 'fastify' {
  interface FastifyInstance {
    live: LiveConfig
  }
}

const RETRY_MS = 250
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export default fp(async function propagation (app: FastifyInstance) {
  const live = new LiveConfig()
  app.decorate('live', { getter: () => live })
  const state = {
    closing: false,
    /** Incremented whenever the LISTEN connection drops: work started before a drop is stale. */
    generation: 0,
    /** LISTEN is in effect on the current connection. */
    listening: false
  }

  /** Reads the current state and trusts the copy again, unless the LISTEN of `generation` was lost meanwhile. */
  const resync = async (generation: number): Promise<void> => {
    while (!state.closing) {
      try {
        const snapshot = await app.llmConfig.read()
        if (generation === state.generation && state.listening) live.resume(snapshot)
        return
      } catch (error) {
        live.suspend() // the copy may be behind: serve from the database meanwhile
        app.log.warn({ err: loggableError(error) }, 'could not read the configuration after a change; retrying')
        await sleep(RETRY_MS)
      }
    }
  }

  const onNotify = (payload: string) => {
    // Our own writes and older news need no round trip.
    if (!(Number(payload) > live.version)) return
    app.llmConfig.read().then((snapshot) => live.accept(snapshot), () => {
      live.suspend()
      resync(state.generation).catch(() => {})
    })
  }

  const database = app.database
  if (database.kind === 'embedded') {
    const unlisten = await database.pglite.listen(NOTIFY_CHANNEL, onNotify)
    state.listening = true
    live.resume(await app.llmConfig.read())
    app.addHook('preClose', async () => {
      state.closing = true
      await unlisten().catch(() => {}) // the database may be closed already
    })
    return
  }

  // A session of its own (LISTEN needs one), never recycled for idleness or age.
  const listener = postgres(database.url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: 0,
    connect_timeout: Math.max(1, Math.ceil(app.config.databaseDeadlineMs / 1000)),
    backoff: reconnectBackoff,
    onnotice: () => {},
    // postgres.js's own listen() re-listens once when its connection closes and gives up if
    // the server is still down then; its onnotify/onclose hooks let this plugin keep trying.
    ...{ onnotify: (channel: string, payload: string) => { if (channel === NOTIFY_CHANNEL) onNotify(payload) } },
    onclose: () => {
      if (state.closing) return
      state.generation++
      state.listening = false
      live.suspend()
      app.log.warn('the LISTEN connection dropped: reading from the database until it is back')
      relisten().catch(() => {})
    }
  })

  // One attempt at a time; a drop during an attempt makes it start over.
  let relistening: Promise<void> | undefined
  const relisten = (): Promise<void> => (relistening ??= (async () => {
    while (!state.closing) {
      const generation = state.generation
      try {
        await listener`listen ${listener(NOTIFY_CHANNEL)}`
      } catch {
        await sleep(RETRY_MS)
        continue
      }
      if (generation !== state.generation) continue // dropped again meanwhile
      state.listening = true
      // Read after LISTEN took effect: nothing committed from now on can be missed.
      await resync(generation)
      if (generation === state.generation) {
        app.log.info({ version: live.version }, 'listening for configuration changes')
        return
      }
    }
  })().finally(() => { relistening = undefined }))

  await relisten()
  app.addHook('preClose', async () => {
    state.closing = true
    await listener.end({ timeout: 1 })
  })
}, { name: 'propagation', dependencies: ['database'] })
