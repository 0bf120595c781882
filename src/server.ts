// Process concerns only: read the configuration, build the app, listen, and shut down
// gracefully (in-flight requests finish, then the database closes) on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

async function main (): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
  const app = await buildApp(config)
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err: { type: err.name } }, 'shutting down after an uncaught error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
}

main().catch((error: unknown) => {
  // Start-up failed (database unreachable, migration error): say what, without details that
  // could carry credentials (a connection string's password, a query's parameters).
  const err = error as { name?: string, code?: string, message?: string }
  console.error(`llm-config-service failed to start: ${err.name ?? 'Error'}${err.code ? ` (${err.code})` : ''}`)
  process.exit(1)
})
