// The migrations build llm_config exactly as the original design, roll back to nothing and
// forward again to the same schema, through the service (migrateDatabase, rollbackLatest)
// and through the CLI (npm run db:migrate / db:rollback) on both storage modes.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openDatabase, type Database } from '../../src/db/client.js'
import { isMigrated, migrateDatabase, readJournal } from '../../src/db/migrate.js'
import { rollbackLatest } from '../../src/scripts/rollback.js'
import { llmConfig } from '../../src/db/schema.js'
import { backend, createDatabaseOn, postgresServerUrl, TEST_DATABASE_URL } from '../helper.js'
import { defaultRow } from '../support/defaults.js'
import {
  appliedMigrations, countConfigRows, dumpPublicSchema, llmConfigColumns, llmConfigColumnsOf, llmConfigIndexes,
  llmConfigIndexesOf, llmConfigPrimaryKeyOf, npmRun, type NpmResult
} from './schema-inspection.js'

const emptySchema = { relations: [], columns: [], indexes: [], constraints: [], sequences: [] }
const journalTags = readJournal().map((entry) => entry.tag)

/** A fresh, unmigrated database on the backend under test; closed (then dropped) at teardown. */
async function openFreshDatabase (t: Test): Promise<Database> {
  const database = TEST_DATABASE_URL
    ? await openDatabase({ kind: 'postgres', url: await createDatabaseOn(t, TEST_DATABASE_URL) })
    : await openDatabase({ kind: 'embedded', dataDir: null })
  t.teardown(() => database.close()) // teardowns run last-in first-out: closed before the drop
  return database
}

/** Asserts the llm_config table, its indexes and primary key are the spec's, column by column. */
async function assertSpecSchema (t: Test, database: Database): Promise<void> {
  const columns = await llmConfigColumnsOf(database.db)
  t.strictSame(columns.map((c) => c.column_name), llmConfigColumns.map((c) => c.column_name), 'the spec\'s columns, in order')
  for (const [i, expected] of llmConfigColumns.entries()) {
    t.strictSame(columns[i], expected, `column ${expected.column_name}`)
  }
  t.strictSame(await llmConfigIndexesOf(database.db), llmConfigIndexes, 'the primary key\'s index and ix_llm_config_id on id')
  t.strictSame(await llmConfigPrimaryKeyOf(database.db), [{ constraint_name: 'llm_config_pkey', columns: 'id' }], 'id is the primary key')
}

function assertExit (t: Test, result: NpmResult, what: string): void {
  t.equal(result.code, 0, `${what} exits 0`, { stdout: result.stdout, stderr: result.stderr })
}

t.test(`migrateDatabase builds llm_config exactly as the spec (${backend})`, async (t) => {
  const database = await openFreshDatabase(t)
  const started = Date.now()
  await migrateDatabase(database)
  await assertSpecSchema(t, database)

  const rows = await database.db.select().from(llmConfig)
  t.equal(rows.length, 1, 'exactly one configuration row after start')
  const [row] = rows
  if (!row) return
  const { id, created_at: createdAt, updated_at: updatedAt, ...values } = row
  t.equal(id, 1)
  t.strictSame(values, defaultRow, 'the row holds the column defaults')
  t.ok(createdAt instanceof Date && Math.abs(createdAt.getTime() - started) < 60_000, 'created_at is the time of start')
  t.equal(updatedAt.getTime(), createdAt.getTime(), 'updated_at = created_at (one now() for the insert)')

  await migrateDatabase(database) // a restart finds the work done
  t.strictSame((await database.db.select({ id: llmConfig.id }).from(llmConfig)), [{ id: 1 }], 'a second start adds no row')
  t.equal((await appliedMigrations(database.db)).length, journalTags.length, 'each migration recorded once')
})

t.test(`rollbackLatest reverts every migration and migrating again rebuilds the same schema (${backend})`, async (t) => {
  const database = await openFreshDatabase(t)
  const { db } = database
  t.equal(await rollbackLatest(db), null, 'nothing to roll back on a database never migrated')

  await migrateDatabase(database)
  const migrated = await dumpPublicSchema(db)
  t.same(migrated.relations.map((r: { relname: string, relkind: string }) => `${r.relname}:${r.relkind}`).sort(), [
    'ix_llm_config_id:i', 'llm_config:r', 'llm_config_history:r', 'llm_config_history_pkey:i', 'llm_config_id_seq:S', 'llm_config_pkey:i'
  ], 'the dump sees the tables, the sequence and the indexes')
  t.equal(await isMigrated(db), true, 'isMigrated() after migrating')

  const reverted: Array<string | null> = []
  for (let tag = await rollbackLatest(db); tag !== null; tag = await rollbackLatest(db)) reverted.push(tag)
  t.strictSame(reverted, journalTags.toReversed(), 'every migration reverted, newest first')
  t.strictSame(await dumpPublicSchema(db), emptySchema, 'public is empty: no llm_config, no ix_llm_config_id, no sequence')
  t.strictSame(await appliedMigrations(db), [], 'drizzle.__drizzle_migrations is empty')
  t.equal(await rollbackLatest(db), null, 'rollbackLatest returns null when nothing is left')

  t.test('a rolled-back database is not migrated', async (t) => {
    t.equal(await isMigrated(db), false)
  })

  t.test('migrating again gives exactly the same schema', async (t) => {
    await migrateDatabase(database)
    t.strictSame(await dumpPublicSchema(db), migrated)
    t.equal(await isMigrated(db), true)
    t.equal(await countConfigRows(db), 1, 'and one configuration row again')
  })
})

t.test('PostgreSQL: npm run db:migrate and db:rollback (DATABASE_URL)', async (t) => {
  const url = await createDatabaseOn(t, postgresServerUrl)
  const database = await openDatabase({ kind: 'postgres', url })
  t.teardown(() => database.close())
  const env = { DATABASE_URL: url, DATA_DIR: undefined }

  assertExit(t, await npmRun('db:migrate', env), 'db:migrate')
  await assertSpecSchema(t, database)
  t.equal((await appliedMigrations(database.db)).length, journalTags.length, 'every migration recorded')
  const migrated = await dumpPublicSchema(database.db)

  // db:rollback builds first (a few seconds each): run it twice only. Any older migrations
  // are reverted in-process, as the rollback test above does.
  const rollback = await npmRun('db:rollback', env)
  assertExit(t, rollback, 'db:rollback')
  t.match(rollback.stdout, `Rolled back ${journalTags.at(-1)}.`)
  while (await rollbackLatest(database.db) !== null);
  t.strictSame(await dumpPublicSchema(database.db), emptySchema, 'public is empty after db:rollback')
  t.strictSame(await appliedMigrations(database.db), [])

  const again = await npmRun('db:rollback', env)
  assertExit(t, again, 'db:rollback on an empty database')
  t.match(again.stdout, 'No migration is applied: nothing to roll back.')

  assertExit(t, await npmRun('db:migrate', env), 'db:migrate again')
  t.strictSame(await dumpPublicSchema(database.db), migrated, 'db:migrate restores the same schema')

  // "Could not ask" is a failure, never "nothing to roll back".
  const unreachable = await npmRun('db:rollback', { DATABASE_URL: 'postgres://postgres:hunter2-secret@127.0.0.1:1/nowhere' })
  t.not(unreachable.code, 0, 'db:rollback against an unreachable server exits non-zero')
  t.match(unreachable.stderr, 'db:rollback failed')
  t.notMatch(unreachable.stdout + unreachable.stderr, 'hunter2-secret', 'without echoing the password')
})

t.test('PostgreSQL: replicas starting together migrate once and seed one row', async (t) => {
  const url = await createDatabaseOn(t, postgresServerUrl)
  const replicas = await Promise.all(Array.from({ length: 5 }, () => openDatabase({ kind: 'postgres', url })))
  t.teardown(() => Promise.all(replicas.map((replica) => replica.close())))

  const results = await Promise.allSettled(replicas.map((replica) => migrateDatabase(replica)))
  t.strictSame(results.map((result) => result.status), Array(5).fill('fulfilled'), 'all five starts succeed',
    { reasons: results.flatMap((result) => result.status === 'rejected' ? [String(result.reason)] : []) })
  const [first] = replicas
  if (!first) return
  t.equal((await appliedMigrations(first.db)).length, journalTags.length, 'each migration applied once')
  t.equal(await countConfigRows(first.db), 1, 'exactly one configuration row')
  await assertSpecSchema(t, first)
})

t.test('embedded: npm run db:migrate migrates the PGlite data directory under DATA_DIR', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'llm-config-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')

  assertExit(t, await npmRun('db:migrate', { DATABASE_URL: undefined, DATA_DIR: dataDir }), 'db:migrate')
  const database = await openDatabase({ kind: 'embedded', dataDir })
  t.teardown(() => database.close())
  await assertSpecSchema(t, database)
  t.equal(await isMigrated(database.db), true, 'isMigrated() on the migrated directory')
  t.equal(await countConfigRows(database.db), 0, 'the CLI migrates only: the service seeds its row at start')
})

t.test('the first migration is the original design, unedited', async (t) => {
  const sql = await readFile(new URL('../../drizzle/0000_create_llm_config.sql', import.meta.url), 'utf8')
  t.match(sql, '"api_key" varchar(255)', 'api_key as the original: 255 characters')
  t.notMatch(sql, 'api_key_hint', 'later columns come in later migrations')
  t.match(sql, 'CREATE INDEX "ix_llm_config_id" ON "llm_config" USING btree ("id")')
})
