// Live propagation: every committed change NOTIFYs its version (llm-config/history.ts); every
// replica LISTENs on a connection of its own and refreshes its copy (llm-config/live.ts).
// When that connection drops, the copy stops being trusted until LISTEN is back and the
// current state was read again. The embedded database delivers NOTIFY in-process the same way.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import postgres from 'postgres'
import { NOTIFY_CHANNEL } from '../llm-config/history.js'
import { LiveConfig } from '../llm-config/live.js'
import { loggableError } from './errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    live: LiveConfig
  }
}

const RELISTEN_DELAY_MS = 250

export default fp(async function propagation (app: FastifyInstance) {
  const live = new LiveConfig()
  app.decorate('live', { getter: () => live })
  const state = { closing: false }

  const refresh = async () => live.accept(await app.llmConfig.read())
  const onNotify = (payload: string) => {
    // Our own writes and older news need no round trip.
    if (Number(payload) > live.version) refresh().catch((error: unknown) => app.log.warn({ err: loggableError(error) }, 'refresh after NOTIFY failed'))
  }

  const database = app.database
  if (database.kind === 'embedded') {
    const unlisten = await database.pglite.listen(NOTIFY_CHANNEL, onNotify)
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
    onnotice: () => {},
    // postgres.js's own listen() re-listens once when its connection closes and gives up if
    // the server is still down then; its onnotify/onclose hooks let this plugin keep trying.
    ...{ onnotify: (channel: string, payload: string) => { if (channel === NOTIFY_CHANNEL) onNotify(payload) } },
    onclose: () => {
      if (state.closing) return
      live.suspend()
      app.log.warn('the LISTEN connection dropped: reading from the database until it is back')
      relisten().catch(() => {}) // relisten() retries until closing; it does not reject
    }
  })

  let relistening: Promise<void> | undefined
  const relisten = (): Promise<void> => (relistening ??= (async () => {
    while (!state.closing) {
      try {
        await listener`listen ${listener(NOTIFY_CHANNEL)}`
        // Read after LISTEN took effect: nothing committed from now on can be missed.
        live.resume(await app.llmConfig.read())
        app.log.info({ version: live.version }, 'listening for configuration changes')
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_DELAY_MS))
      }
    }
  })().finally(() => { relistening = undefined }))

  await relisten()
  app.addHook('preClose', async () => {
    state.closing = true
    await listener.end({ timeout: 1 })
  })
}, { name: 'propagation', dependencies: ['database'] })
