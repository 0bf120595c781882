// Process concerns only: read the configuration, build the app, listen, and shut down
// gracefully on SIGTERM/SIGINT: first drain (plugins/drain.ts: new requests get 503 and every
// response closes its connection, for SHUTDOWN_DRAIN_MS), then close (the port closes,
// in-flight requests finish, then the database closes), all within GRACE_MS.
import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig, type Config } from './config.js'
import { isDatabaseClientError } from './db/stray-errors.js'
import { loggableError } from './logging.js'

// Connection failures and the SQLSTATEs of a wrong database name or credentials.
const DATABASE_UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '3D000', '28P01', '28000'])
// Beyond it the process exits anyway (close-with-grace): a shutdown that hangs must not outlive
// the orchestrator's patience (Kubernetes sends SIGKILL 30 s after SIGTERM by default).
const GRACE_MS = 10_000

function readConfig (): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

async function main (): Promise<void> {
  // Whatever the service writes (DATA_DIR, the generated token and key, the embedded
  // database's folders) is private to its user. PGlite's files need more (db/permissions.ts).
  process.umask(0o077)
  const config = readConfig()
  // Imported after the environment is checked, so a bad variable fails fast.
  const { buildApp } = await import('./app.js')
  // JSON lines for machines; readable lines only when a person watches a terminal.
  const app = await buildApp(config, { prettyLogs: process.stdout.isTTY })
  const grace = closeWithGrace({ delay: GRACE_MS, skip: ['uncaughtException', 'unhandledRejection'] }, async ({ signal, err }) => {
    if (err) {
      app.log.error({ err: { type: err.name } }, 'shutting down after an uncaught error')
    } else {
      app.log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down')
      await app.drain(config.shutdownDrainMs)
    }
    await app.close()
  })
  const onStrayError = (error: Error) => {
    if (isDatabaseClientError(error)) {
      // A database connection that died under postgres.js mid-operation: it writes a ROLLBACK
      // to the socket of a dead backend (porsager/postgres#1208), or rejects a promise nobody
      // awaits any more. The connection is gone either way and the pool opens a new one; the
      // requests involved were answered 503. Not a reason to stop serving. Any other uncaught
      // error, a connection error of a provider probe or a watcher's socket included, is a bug:
      // the process ends, non-zero, for its supervisor to restart it.
      app.log.warn({ err: { type: error.name, code: (error as { code?: unknown }).code } }, 'ignored a stray error of a lost database connection')
      return
    }
    app.log.error({ err: loggableError(error) }, 'shutting down after an uncaught error')
    grace.uninstall()
    app.close().finally(() => process.exit(1))
    setTimeout(() => process.exit(1), GRACE_MS).unref()
  }
  process.on('uncaughtException', onStrayError)
  process.on('unhandledRejection', (reason) => onStrayError(reason instanceof Error ? reason : new Error(String(reason))))
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close() // the embedded database must be closed cleanly, even when the port is taken
    throw error
  }
}

main().catch((error: unknown) => {
  // Say what failed without details that could carry credentials (a connection string's
  // password, a query's parameters).
  const err = error as { name?: string, code?: string, cause?: { code?: string } }
  const code = err.code ?? err.cause?.code
  const hint = code && DATABASE_UNREACHABLE.has(code) ? ': the database could not be reached (check DATABASE_URL)' : ''
  console.error(`llm-config-service failed to start: ${err.name ?? 'Error'}${code ? ` (${code})` : ''}${hint}`)
  process.exit(1)
})
