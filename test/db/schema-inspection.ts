// Reads back what a migration actually built (information_schema, pg_indexes, pg_class) on
// either driver, and holds the llm_config table of the original design to compare it with.
// See https://www.postgresql.org/docs/current/infoschema-columns.html
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../src/db/client.js'

/** The project root (where package.json is), found from this file rather than hard-coded. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url))

/** Rows of a raw query as plain objects: postgres.js answers with an array, PGlite with { rows }. */
export async function query<Row> (db: Db, statement: SQL): Promise<Row[]> {
  const result: unknown = await db.execute(statement)
  const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows
  return rows.map((row) => ({ ...(row as object) })) as Row[]
}

export interface ColumnInfo {
  column_name: string
  data_type: string
  character_maximum_length: number | null
  is_nullable: 'YES' | 'NO'
  column_default: string | null
}

export interface IndexInfo { indexname: string, indexdef: string }

function column (name: string, type: string, length: number | null, nullable: boolean, columnDefault: string | null): ColumnInfo {
  return { column_name: name, data_type: type, character_maximum_length: length, is_nullable: nullable ? 'YES' : 'NO', column_default: columnDefault }
}

const varchar = 'character varying'
const double = 'double precision'
const timestamptz = 'timestamp with time zone'

/**
 * llm_config as the spec describes it, in column order, spelled the way information_schema
 * reports it, with what later migrations changed: 0001_encrypt_api_key widens api_key to
 * hold ciphertext and adds api_key_hint; 0002_history_and_version adds version;
 * 0003_api_key_version_and_restored_from adds api_key_version (added columns come last).
 */
export const llmConfigColumns: ColumnInfo[] = [
  column('id', 'integer', null, false, "nextval('llm_config_id_seq'::regclass)"),
  column('provider', varchar, 50, false, "'local'::character varying"),
  column('api_key', varchar, 2048, true, null), // 255 in 0000; ciphertext since 0001
  column('api_url', varchar, 255, true, null),
  column('model_tagger', varchar, 100, false, "'phi3'::character varying"),
  column('model_enricher', varchar, 100, false, "'llama3'::character varying"),
  column('model_analytics', varchar, 100, false, "'llama3'::character varying"),
  column('model_responder', varchar, 100, true, null),
  column('enabled', 'boolean', null, false, 'false'),
  column('auto_tagging', 'boolean', null, false, 'true'),
  column('auto_enrichment', 'boolean', null, false, 'true'),
  column('external_enrichment', 'boolean', null, false, 'false'),
  column('max_retries', 'integer', null, false, '3'),
  column('retry_delay', 'integer', null, false, '300'),
  column('backup_provider', varchar, 50, true, null),
  column('backup_model', varchar, 100, true, null),
  column('batch_size', 'integer', null, false, '5'),
  column('concurrent_tasks', 'integer', null, false, '2'),
  column('cache_responses', 'boolean', null, false, 'true'),
  column('min_confidence_tagging', double, null, false, '0.7'),
  column('min_confidence_entity', double, null, false, '0.8'),
  column('created_at', timestamptz, null, false, 'now()'),
  column('updated_at', timestamptz, null, false, 'now()'),
  column('api_key_hint', varchar, 16, true, null), // since 0001
  column('version', 'bigint', null, false, '1'), // since 0002
  column('api_key_version', 'bigint', null, true, null) // since 0003
]

/** The primary key's own index, and ix_llm_config_id on id (ordered by name). */
export const llmConfigIndexes: IndexInfo[] = [
  { indexname: 'ix_llm_config_id', indexdef: 'CREATE INDEX ix_llm_config_id ON public.llm_config USING btree (id)' },
  { indexname: 'llm_config_pkey', indexdef: 'CREATE UNIQUE INDEX llm_config_pkey ON public.llm_config USING btree (id)' }
]

export function llmConfigColumnsOf (db: Db): Promise<ColumnInfo[]> {
  return query<ColumnInfo>(db, sql`
    select column_name::text, data_type::text, character_maximum_length::int, is_nullable::text, column_default::text
    from information_schema.columns
    where table_schema = 'public' and table_name = 'llm_config'
    order by ordinal_position`)
}

export function llmConfigIndexesOf (db: Db): Promise<IndexInfo[]> {
  return query<IndexInfo>(db, sql`
    select indexname::text, indexdef
    from pg_indexes
    where schemaname = 'public' and tablename = 'llm_config'
    order by indexname`)
}

/** The primary key's name and columns, e.g. { constraint_name: 'llm_config_pkey', columns: 'id' }. */
export function llmConfigPrimaryKeyOf (db: Db): Promise<Array<{ constraint_name: string, columns: string }>> {
  return query(db, sql`
    select tc.constraint_name::text, string_agg(kcu.column_name::text, ',' order by kcu.ordinal_position) as columns
    from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu
      on kcu.constraint_schema = tc.constraint_schema and kcu.constraint_name = tc.constraint_name
    where tc.table_schema = 'public' and tc.table_name = 'llm_config' and tc.constraint_type = 'PRIMARY KEY'
    group by tc.constraint_name`)
}

export interface SchemaDump {
  /** Every relation in public (tables, sequences, indexes, views) with its kind. */
  relations: Array<{ relname: string, relkind: string }>
  columns: Array<Record<string, unknown>>
  indexes: Array<Record<string, unknown>>
  constraints: Array<Record<string, unknown>>
  sequences: Array<Record<string, unknown>>
}

/** Everything the public schema holds, in a stable order: two equal dumps mean the same schema. */
export async function dumpPublicSchema (db: Db): Promise<SchemaDump> {
  return {
    relations: await query(db, sql`
      select relname::text, relkind::text from pg_class
      where relnamespace = 'public'::regnamespace order by relname`),
    columns: await query(db, sql`
      select table_name::text, column_name::text, ordinal_position::int, data_type::text, udt_name::text,
        character_maximum_length::int, numeric_precision::int, datetime_precision::int,
        is_nullable::text, column_default::text, is_identity::text
      from information_schema.columns where table_schema = 'public'
      order by table_name, ordinal_position`),
    indexes: await query(db, sql`
      select tablename::text, indexname::text, indexdef from pg_indexes
      where schemaname = 'public' order by tablename, indexname`),
    constraints: await query(db, sql`
      select conrelid::regclass::text as table_name, conname::text, contype::text, pg_get_constraintdef(oid) as definition
      from pg_constraint where connamespace = 'public'::regnamespace order by table_name, conname`),
    sequences: await query(db, sql`
      select sequence_name::text, data_type::text, start_value::text, increment::text, maximum_value::text
      from information_schema.sequences where sequence_schema = 'public' order by sequence_name`)
  }
}

/** The rows of drizzle's bookkeeping table, oldest first. */
export function appliedMigrations (db: Db): Promise<Array<{ hash: string, created_at: string }>> {
  return query(db, sql`select hash, created_at::text from drizzle.__drizzle_migrations order by created_at`)
}

export async function countConfigRows (db: Db): Promise<number> {
  const [row] = await query<{ count: number }>(db, sql`select count(*)::int as count from llm_config`)
  return row?.count ?? -1
}

export interface NpmResult { code: number | null, stdout: string, stderr: string }

/**
 * `npm run <script>` in the project root, as a user would type it: with the given variables
 * added to (or, when undefined, removed from) this process's environment, and without the
 * test runner's loader and coverage hooks.
 */
export function npmRun (script: string, env: Record<string, string | undefined>): Promise<NpmResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  delete childEnv.NODE_OPTIONS
  delete childEnv.NODE_V8_COVERAGE
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name]
    else childEnv[name] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', script], { cwd: projectRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
