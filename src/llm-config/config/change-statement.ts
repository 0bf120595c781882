// The statement at the heart of every change: lock the row, update it (version + 1), record
// the version in the history (what changed and the whole state after) and queue the NOTIFY,
// returning the state before, the state after and what changed. It runs inside the change's
// transaction (repository.ts), which then checks the precondition, the rules and whether
// anything changed on what it returns, and rolls everything back when one of them says no:
// each of those is written once, in JavaScript, on the states the database produced.
//
// Why one statement: every change to the one row waits for the row lock, so writes per second
// are 1 ÷ how long a change holds it. As separate statements (lock, update, history, notify)
// a change held it for four round trips and the Node.js work between them; as one, for this
// statement and the commit.
import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { llmConfig, llmConfigHistory, type HistoryAction } from '../../db/schema.js'
import { NOTIFY_CHANNEL } from '../history/queries.js'
import { SETTING_NAMES } from './schemas.js'

export interface ChangeStatement {
  /** Column → value (a parameter, or SQL such as `default`). */
  set: Record<string, unknown>
  actor: string
  action: HistoryAction
  /** The version a restore brings back (history's restored_from). */
  restoredFrom?: number
  /** Versions of history to keep (HISTORY_RETAIN); undefined keeps everything. */
  retain: number | undefined
}

/** The row before and after as JSON (timestamps as text), and the history's record of what differs. */
export interface ChangeStatementResult {
  before: Record<string, unknown>
  after: Record<string, unknown>
  changes: Record<string, unknown>
}

// Compared by the history's `changes`: the settings and the key (shown only as {changed: true},
// never a value or its ciphertext). Constants of ours, so they are inlined, not parameters.
const DIFFED = sql.raw(`array[${[...SETTING_NAMES, 'api_key'].map((name) => `'${name}'`).join(', ')}]`)

// Field → {old, new} for every diffed field whose value differs.
const CHANGES = sql`(
  select coalesce(jsonb_object_agg(a.key, case when a.key = 'api_key' then '{"changed": true}'::jsonb
                                      else jsonb_build_object('old', b.value, 'new', a.value) end), '{}'::jsonb)
  from jsonb_each(to_jsonb(updated)) as a join jsonb_each(to_jsonb(previous)) as b using (key)
  where a.key = any(${DIFFED}) and a.value is distinct from b.value
)`

/** Runs the statement in the given transaction; postgres.js answers with the rows, PGlite with { rows }. */
export async function runChange (tx: Pick<Db, 'execute'>, change: ChangeStatement): Promise<ChangeStatementResult> {
  const result = await tx.execute(changeStatement(change)) as unknown
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as ChangeStatementResult[]
  if (rows.length !== 1) throw new Error('The llm_config row is missing: it is created when the service starts')
  return rows[0] as ChangeStatementResult
}

function changeStatement ({ set, actor, action, restoredFrom, retain }: ChangeStatement): SQL {
  const assignments = Object.entries(set).map(([name, value]) => sql`${sql.identifier(name)} = ${value}, `)
  // Keeping fewer versions: drop the ones the new version pushes out (the new one is kept).
  const pruned = retain === undefined
    ? sql``
    : sql`pruned as (delete from ${llmConfigHistory} where version <= (select version from updated) - ${retain}),`
  return sql`
    with previous as (select * from ${llmConfig} order by id limit 1 for update),
    updated as (
      update ${llmConfig} as target set ${sql.join(assignments)}
        version = target.version + 1,
        -- Strictly forward, even for two writes within one millisecond or a clock step back.
        updated_at = greatest(now(), target.updated_at + interval '1 millisecond')
      from previous where target.id = previous.id
      returning target.*
    ),
    diff as (select ${CHANGES} as changes from updated, previous),
    recorded as (
      insert into ${llmConfigHistory} (version, actor, action, changes, snapshot, restored_from)
      select updated.version, ${actor}, ${action}, diff.changes, to_jsonb(updated), ${restoredFrom ?? null}::bigint from updated, diff
      on conflict do nothing
    ),
    ${pruned}
    -- Delivered to the replicas only when the transaction commits (and never for a change that
    -- is rolled back because it changed nothing).
    notified as (select pg_notify(${NOTIFY_CHANNEL}, updated.version::text) from updated)
    select to_jsonb(previous) as before, (select to_jsonb(updated) from updated) as after,
      (select changes from diff) as changes, (select count(*) from notified) as notified
    from previous`
}
