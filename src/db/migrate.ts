// Applies pending migrations at start, then makes sure the one configuration row exists.
// Replicas starting together serialise on a PostgreSQL advisory lock, so exactly one of
// them migrates and seeds; the others find the work done.
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { asc, desc } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import type { Database, Db } from './client.js'
import { drizzleMigrations } from './migrations-table.js'
import { llmConfig } from './schema.js'

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url))

// Any fixed 64-bit number works; this one spells "llmcfg" in ASCII.
const MIGRATION_LOCK = 0x6c6c6d636667

export async function migrateDatabase (database: Database): Promise<void> {
  if (database.kind === 'embedded') {
    // One process owns an embedded database, so there is nobody to race with.
    const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator')
    await migratePglite(database.db as never, { migrationsFolder })
    await ensureConfigRow(database.db)
    return
  }
  // A session-level advisory lock needs every statement on the same connection: max 1.
  const client = postgres(database.url, { max: 1, onnotice: () => {} })
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`
    const db = drizzle(client)
    await migratePostgres(db, { migrationsFolder })
    await ensureConfigRow(db as unknown as Db)
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`
  } finally {
    await client.end({ timeout: 5 })
  }
}

/** The service owns one configuration: the row with the lowest id, created from the column defaults. */
async function ensureConfigRow (db: Db): Promise<void> {
  const [existing] = await db.select({ id: llmConfig.id }).from(llmConfig).orderBy(asc(llmConfig.id)).limit(1)
  if (!existing) await db.insert(llmConfig).values({})
}

export interface JournalEntry { tag: string, when: number }

let journal: JournalEntry[] | undefined

/** drizzle/meta/_journal.json: the migrations in order, each identified by its `when`. */
export function readJournal (): JournalEntry[] {
  journal ??= (JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: JournalEntry[] }).entries
  return journal
}

/**
 * The most recently applied migration's record, or undefined when none is (including a
 * database never migrated, without drizzle's table). Any other error, such as an unreachable
 * server, is thrown: "nothing applied" must never hide "could not ask".
 */
export async function latestApplied (db: Db) {
  try {
    const [row] = await db.select().from(drizzleMigrations).orderBy(desc(drizzleMigrations.created_at)).limit(1)
    return row
  } catch (error) {
    // 42P01 undefined_table; Drizzle wraps the driver's error in `cause`.
    if ((error as { cause?: { code?: string } }).cause?.code === '42P01') return undefined
    throw error
  }
}

/** True when every migration in drizzle/ is applied. */
export async function isMigrated (db: Db): Promise<boolean> {
  const latest = readJournal().at(-1)
  if (!latest) return true
  const applied = await latestApplied(db)
  return applied?.created_at != null && applied.created_at >= latest.when
}
