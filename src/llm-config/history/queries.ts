// The change history: one row per version, written by the statement of the change it records
// (change-statement.ts), with the NOTIFY that tells every replica about it (delivered only on
// commit); here, reading it, and the row of a version that predates the history.
import { and, desc, eq, lt, lte, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { llmConfigHistory, type LlmConfigHistoryRow, type LlmConfigRow } from '../../db/schema.js'
import { toPublic } from '../config/representation.js'
import { SETTING_NAMES, type LlmConfig } from '../config/schemas.js'
import type { HistoryEntry } from './schemas.js'

export const NOTIFY_CHANNEL = 'llm_config'

/** Field → {old, new}; the key only as {changed: true}, never a value or ciphertext. */
export type Changes = Record<string, { old: unknown, new: unknown } | { changed: true }>

/** The whole stored state, as JSON: timestamps as ISO strings, the key as its ciphertext. */
function snapshotOf (row: LlmConfigRow): Record<string, unknown> {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }
}

export function rowOf (snapshot: Record<string, unknown>): LlmConfigRow {
  return {
    ...(snapshot as unknown as LlmConfigRow),
    api_key_version: (snapshot.api_key_version ?? null) as number | null, // snapshots older than 0003 lack it
    created_at: new Date(String(snapshot.created_at)),
    updated_at: new Date(String(snapshot.updated_at))
  }
}

/**
 * At start, for a database older than the history: the current version's row, recorded as
 * its creation (every setting from null). Changes record themselves (change-statement.ts).
 */
export async function recordBaseline (db: Db, row: LlmConfigRow): Promise<void> {
  const changes: Changes = Object.fromEntries(SETTING_NAMES.map((name) => [name, { old: null, new: row[name] }]))
  if (row.api_key !== null) changes.api_key = { changed: true }
  await db.insert(llmConfigHistory).values({
    version: row.version, actor: 'system', action: 'create', changes, snapshot: snapshotOf(row)
  }).onConflictDoNothing()
}

const entryOf = (row: LlmConfigHistoryRow): HistoryEntry => ({
  version: row.version,
  changed_at: row.changed_at.toISOString(),
  actor: row.actor,
  action: row.action,
  changes: row.changes as Changes,
  restored_from: row.restored_from ?? null
})

export function createHistory (db: Db) {
  return {
    /** Newest first, strictly below `before` when given. */
    async list ({ limit, before }: { limit: number, before?: number }): Promise<HistoryEntry[]> {
      const rows = await db.select().from(llmConfigHistory)
        .where(before === undefined ? undefined : lt(llmConfigHistory.version, before))
        .orderBy(desc(llmConfigHistory.version))
        .limit(limit)
      return rows.map(entryOf)
    },

    async get (version: number): Promise<{ entry: HistoryEntry, state: LlmConfig, row: LlmConfigRow } | undefined> {
      const [row] = await db.select().from(llmConfigHistory).where(eq(llmConfigHistory.version, version))
      if (!row) return undefined
      const stored = rowOf(row.snapshot)
      return { entry: entryOf(row), state: toPublic(stored), row: stored }
    },

    /** The public states of versions after `after` up to `upTo`, oldest first (SSE replay). */
    async statesBetween (after: number, upTo: number): Promise<LlmConfig[]> {
      const rows = await db.select({ snapshot: llmConfigHistory.snapshot }).from(llmConfigHistory)
        .where(and(sql`${llmConfigHistory.version} > ${after}`, lte(llmConfigHistory.version, upTo)))
        .orderBy(llmConfigHistory.version)
      return rows.map((row) => toPublic(rowOf(row.snapshot)))
    }
  }
}
