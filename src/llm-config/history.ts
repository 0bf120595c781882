// The change history: one row per version, written in the transaction of the change it
// records, with the NOTIFY that tells every replica about it (delivered only on commit).
import { and, desc, eq, lt, lte, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { llmConfigHistory, type HistoryAction, type LlmConfigHistoryRow, type LlmConfigRow } from '../db/schema.js'
import { toPublic } from './representation.js'
import { SETTING_NAMES, type LlmConfig } from './schemas.js'

export const NOTIFY_CHANNEL = 'llm_config'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Field → {old, new}; the key only as {changed: true}, never a value or ciphertext. */
export type Changes = Record<string, { old: unknown, new: unknown } | { changed: true }>

export function diff (before: LlmConfigRow | undefined, after: LlmConfigRow): Changes {
  const changes: Changes = {}
  for (const name of SETTING_NAMES) {
    if (before?.[name] !== after[name]) changes[name] = { old: before?.[name] ?? null, new: after[name] }
  }
  if ((before?.api_key ?? null) !== after.api_key) changes.api_key = { changed: true }
  return changes
}

/** The whole stored state, as JSON: timestamps as ISO strings, the key as its ciphertext. */
export function snapshotOf (row: LlmConfigRow): Record<string, unknown> {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }
}

export function rowOf (snapshot: Record<string, unknown>): LlmConfigRow {
  return {
    ...(snapshot as unknown as LlmConfigRow),
    created_at: new Date(String(snapshot.created_at)),
    updated_at: new Date(String(snapshot.updated_at))
  }
}

export interface RecordOptions {
  before: LlmConfigRow | undefined
  after: LlmConfigRow
  actor: string
  action: HistoryAction
  /** Versions to keep; the current one is always kept. */
  retain: number | undefined
}

/** Inside the change's transaction: the history row, pruning, and the NOTIFY. */
export async function recordVersion (tx: Tx | Db, { before, after, actor, action, retain }: RecordOptions): Promise<void> {
  await tx.insert(llmConfigHistory).values({
    version: after.version, actor, action, changes: diff(before, after), snapshot: snapshotOf(after)
  }).onConflictDoNothing()
  if (retain !== undefined) {
    await tx.delete(llmConfigHistory).where(lte(llmConfigHistory.version, after.version - retain))
  }
  await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, ${String(after.version)})`)
}

export interface HistoryEntry {
  version: number
  changed_at: string
  actor: string
  action: HistoryAction
  changes: Changes
}

const entryOf = (row: LlmConfigHistoryRow): HistoryEntry => ({
  version: row.version,
  changed_at: row.changed_at.toISOString(),
  actor: row.actor,
  action: row.action,
  changes: row.changes as Changes
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

export type History = ReturnType<typeof createHistory>
