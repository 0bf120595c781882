// Which uncaught errors server.ts may survive: only the stray errors of a database connection
// that died under the database client, never a connection error of anything else (a provider
// probe, a watcher's socket), which is a bug that a supervisor must see as a crash.
import { isConnectionError } from './deadline.js'

// A stack frame inside the database clients' own code: postgres.js, or PGlite.
const CLIENT_FRAME = /[\\/]node_modules[\\/](?:postgres|@electric-sql[\\/]pglite)[\\/]/

/**
 * postgres.js's mark on an error it rejects a query with (queryError in its connection.js
 * defines these four properties, non-enumerable, on the socket's error): the error reached us
 * through the client, even when its stack is Node's socket code alone.
 */
function hasPostgresQueryMark (error: Error): boolean {
  return ['query', 'parameters', 'args', 'types'].every((name) => Object.getOwnPropertyDescriptor(error, name)?.enumerable === false)
}

/** The stack has a frame of the database client, or postgres.js marked the error as a query's. */
export function comesFromDatabaseClient (error: Error): boolean {
  return CLIENT_FRAME.test(error.stack ?? '') || hasPostgresQueryMark(error)
}

/** postgres.js writes a ROLLBACK to the socket of a dead backend (porsager/postgres#1208). */
function isWriteAfterClose (error: Error): boolean {
  return error instanceof TypeError && /reading 'write'/.test(error.message) && /postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? '')
}

/**
 * A lost database connection's stray error, as the database client leaves it: its
 * write-after-close TypeError, or a connection error (ECONNRESET, 08xxx, "PGlite is closed")
 * that the client rejected a promise nobody awaits any more with. The connection is gone
 * either way and the pool opens a new one.
 */
export function isDatabaseClientError (error: unknown): boolean {
  if (!(error instanceof Error) || !comesFromDatabaseClient(error)) return false
  return isWriteAfterClose(error) || isConnectionError(error)
}
