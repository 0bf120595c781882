// One database handle for both storage modes: PostgreSQL through postgres.js, or the
// embedded PostgreSQL (PGlite) on disk or in memory. Everything above this file sees the
// same Drizzle API and the same schema.
import { chmod, mkdir } from 'node:fs/promises'
import type { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { makePrivate, PRIVATE_FOLDER } from './permissions.js'
import * as schema from './schema.js'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

/** Which database to open (config.ts reads it from DATABASE_URL and DATA_DIR). */
export type DatabaseTarget =
  | { kind: 'postgres', url: string }
  | { kind: 'embedded', dataDir: string | null } // null: in memory

export type Database =
  | { kind: 'postgres', db: Db, url: string, close: () => Promise<void> }
  | { kind: 'embedded', db: Db, pglite: PGlite, close: () => Promise<void> }

/**
 * Seconds before the next connection attempt: reconnect quickly once the server is back.
 * postgres.js's default grows to 20 s (shared across the pool) and kept requests failing for
 * seconds after a restart.
 */
export const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 0.5)

/** Connections the query pool may open on PostgreSQL (the embedded database has one). */
export const POOL_MAX = 10

export interface OpenOptions {
  /** Embedded only: start from a dumped data directory (PGlite's dumpDataDir) instead of initdb. */
  loadDataDir?: Blob
  /** PostgreSQL only: the request deadline, which also bounds statements on the server. */
  deadlineMs?: number
}

export async function openDatabase (target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if (target.kind === 'postgres') {
    const deadlineMs = options.deadlineMs ?? 2000
    const client = postgres(target.url, {
      max: POOL_MAX,
      onnotice: () => {}, // "relation already exists, skipping" and the like are not news
      // A connection attempt to a dead or frozen server gives up instead of queueing forever.
      connect_timeout: Math.max(1, Math.ceil(deadlineMs / 1000)),
      backoff: reconnectBackoff,
      connection: {
        application_name: 'llm-config-service',
        // The server abandons what the client has stopped waiting for: a statement past the
        // deadline, a transaction left open (its locks would block every writer).
        statement_timeout: deadlineMs,
        idle_in_transaction_session_timeout: Math.max(deadlineMs * 5, 10_000)
      }
    })
    return {
      kind: 'postgres',
      db: drizzlePostgres(client, { schema }),
      url: target.url,
      close: once(() => client.end({ timeout: 5 }))
    }
  }
  const dataDir = target.dataDir
  // Private to the service's user (permissions.ts): a new DATA_DIR is made 0700, an existing
  // one (from an earlier version, or made by hand) is closed at once and its contents put right
  // after the open.
  if (dataDir !== null) {
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_FOLDER })
    await chmod(dataDir, PRIVATE_FOLDER) // closed to others before PGlite writes anything
  }
  // Loaded only here: a service on PostgreSQL never pays for the embedded database's code.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite')])
  const pglite = await PGlite.create(dataDir ?? 'memory://', {
    loadDataDir: options.loadDataDir,
    // initdb sizes shared_buffers at 128 MB, and PGlite's memory keeps what PostgreSQL touched:
    // one row and its history need far less. 16 MB takes the idle process from about 390 MB
    // to about 270 MB (docs/benchmarks.md); smaller saves nothing more.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`]
  })
  // After the open, which ran initdb on a new folder: PGlite writes its files 0666.
  if (dataDir !== null) await makePrivate(dataDir)
  return {
    kind: 'embedded',
    db: drizzlePglite(pglite, { schema }),
    pglite,
    close: once(async () => {
      await pglite.close()
      if (dataDir !== null) await makePrivate(dataDir) // what it wrote while running
    })
  }
}

export const EMBEDDED_SHARED_BUFFERS = '16MB'

/** Closing twice (a failed start, then the app's onClose) must not throw. */
function once (close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => (closing ??= close())
}
