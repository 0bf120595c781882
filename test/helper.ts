// Builds the app exactly as production does (buildApp + loadConfig), on a database of its
// own: a fresh PostgreSQL database on TEST_DATABASE_URL's server when that is set (dropped
// afterwards), else an embedded in-memory database cloned from a migrated snapshot (creating
// and migrating a PGlite instance from scratch takes seconds; loading a dump does not).
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import postgres from 'postgres'
import { buildApp, type App } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { openDatabase, type Database } from '../src/db/client.js'
import { migrateDatabase, migrationsFolder } from '../src/db/migrate.js'

export const ADMIN_TOKEN = 'test-admin-token-0123456789'
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64')
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined
export const backend = TEST_DATABASE_URL ? 'postgres' : 'embedded'

interface Teardown { teardown: (fn: () => unknown) => void }

/** Tests that need a server use TEST_DATABASE_URL's, else the one the machine always runs. */
export const postgresServerUrl = TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A new, empty database on `serverUrl`; dropped (even with clients still connected) at teardown. */
export async function createDatabaseOn (t: Teardown, serverUrl: string): Promise<string> {
  const name = `llm_config_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
    await admin.end()
  })
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** A new, empty PostgreSQL database on the test server (TEST_DATABASE_URL); dropped at teardown. */
export async function createPostgresDatabase (t: Teardown): Promise<string> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set')
  return await createDatabaseOn(t, TEST_DATABASE_URL)
}

/** A migrated, empty (no configuration row yet) embedded database dump, made once per migration set. */
async function migratedSnapshot (): Promise<Blob> {
  const hash = createHash('sha256')
  for (const file of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
    if (file.endsWith('.sql') || file.endsWith('.json')) hash.update(file).update(readFileSync(join(migrationsFolder, file)))
  }
  const path = join(tmpdir(), `llm-config-test-snapshot-${hash.digest('hex').slice(0, 16)}.tar`)
  if (!existsSync(path)) {
    const database = await openDatabase({ kind: 'embedded', dataDir: null })
    if (database.kind !== 'embedded') throw new Error('expected an embedded database')
    await migrateDatabase(database)
    // The app creates the configuration row itself at start: leave only the schema.
    await database.pglite.exec('truncate llm_config restart identity')
    const dump = await database.pglite.dumpDataDir('none')
    await database.close()
    const partial = `${path}.${process.pid}.tmp`
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
    await rename(partial, path) // atomic: parallel test files never read half a file
  }
  return new Blob([await readFile(path)])
}

export interface TestAppOptions {
  env?: Record<string, string>
  /** Capture log lines (level info and up unless env.LOG_LEVEL says otherwise). */
  captureLogs?: boolean
  /** Reuse a database URL (postgres) instead of creating one: for restarts and replicas. */
  databaseUrl?: string
  /** Embedded: start from this dump instead of the empty migrated snapshot. */
  loadDataDir?: Blob
}

export interface TestApp {
  app: App
  config: Config
  /** Every log line so far, when captureLogs was set. */
  logs: () => string
  /** The PostgreSQL URL of the test database (postgres backend only). */
  databaseUrl?: string
}

export async function testApp (t: Teardown, options: TestAppOptions = {}): Promise<TestApp> {
  let database: Database | undefined
  let databaseUrl = options.databaseUrl
  if (TEST_DATABASE_URL) {
    databaseUrl ??= await createPostgresDatabase(t)
  } else if (!databaseUrl) {
    database = await openDatabase({ kind: 'embedded', dataDir: null }, { loadDataDir: options.loadDataDir ?? await migratedSnapshot() })
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'llm-config-test-data-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({
    ADMIN_TOKEN,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    DATA_DIR: dataDir,
    // Tests make many writes from one address; the limits have tests of their own.
    WRITE_RATE_LIMIT: '1000000',
    AUTH_FAILURE_LIMIT: '1000000',
    // A test machine running files in parallel is no overloaded server; the check has its own test.
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    LOG_LEVEL: options.captureLogs ? 'info' : 'silent',
    DATABASE_URL: databaseUrl ?? 'memory://',
    ...options.env
  })
  let captured = ''
  const logStream = new PassThrough()
  logStream.on('data', (chunk: Buffer) => { captured += chunk.toString() })
  const app = await buildApp(config, { database, logStream })
  t.teardown(() => app.close())
  await app.ready()
  return { app, config, logs: () => captured, databaseUrl }
}

/** Another app on the same stored data: a replica on the same PostgreSQL database, or (embedded) a restart from a dump. */
export async function reopen (t: Teardown, first: TestApp, options: TestAppOptions = {}): Promise<TestApp> {
  if (first.databaseUrl) return await testApp(t, { ...options, databaseUrl: first.databaseUrl })
  const database = first.app.database
  if (database.kind !== 'embedded') throw new Error('expected the embedded database')
  return await testApp(t, { ...options, loadDataDir: await database.pglite.dumpDataDir('none') })
}
