// A change as ONE statement: lock the row, update it (version + 1), record the version in the
// history (what changed and the whole state after) and queue the NOTIFY, returning the state
// before and after. Run inside the change's transaction, so the caller can still check the
// precondition and the rules on what it returns and roll everything back.
//
// Why one statement: every change to the one row waits for the row lock, so writes per second
// are 1 ÷ how long a change holds it. As separate statements (lock, update, history, notify,
// commit) a change held it for five round trips to the database and the Node.js work between
// them; in a transaction with this statement, for two (this, commit); a merge patch, whose
// conditions the database checks itself (`guard`), runs it alone and holds the lock only
// while the database executes and commits it.
import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { llmConfig, llmConfigHistory, type HistoryAction } from '../../db/schema.js'
import { NOTIFY_CHANNEL } from '../history/queries.js'
import { REQUIRES } from './rules.js'
import { SETTING_NAMES } from './schemas.js'

export interface ChangeStatement {
  /** Column → value (a parameter, or SQL such as `default`). */
  set: Record<string, unknown>
  actor: string
  action: HistoryAction
  /** Versions of history to keep (HISTORY_RETAIN); undefined keeps everything. */
  retain: number | undefined
  /**
   * For a change that runs alone, without a transaction around it (a merge patch): the
   * conditions the database checks on the locked row before it changes anything — If-Match,
   * the rules on the values the change would produce, and the deadline by the database's
   * clock. When one fails nothing changes and `after` is null.
   */
  guard?: { versions: number[] | '*' | undefined, deadline: number }
}

/** The row before and after, as JSON (timestamps as text); `after` is null if nothing changed. */
export interface ChangeStatementResult {
  before: Record<string, unknown>
  after: Record<string, unknown> | null
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

/** Runs the statement; postgres.js answers with the rows, PGlite with { rows }. */
export async function runChange (tx: Pick<Db, 'execute'>, change: ChangeStatement): Promise<ChangeStatementResult> {
  const result = await tx.execute(changeStatement(change)) as unknown
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as ChangeStatementResult[]
  if (rows.length !== 1) throw new Error('The llm_config row is missing: it is created when the service starts')
  return rows[0] as ChangeStatementResult
}

/** A setting's value after the change: the one it sets (typed as the column), or the stored one. */
function valueAfter (set: Record<string, unknown>, name: string): SQL {
  const column = llmConfig[name as keyof typeof llmConfig.$inferSelect]
  return name in set ? sql`cast(${set[name]} as ${sql.raw(column.getSQLType())})` : sql`previous.${sql.identifier(name)}`
}

function guardCondition (set: Record<string, unknown>, { versions, deadline }: NonNullable<ChangeStatement['guard']>): SQL {
  const conditions = REQUIRES.map(({ field, needs }) => sql`(${valueAfter(set, field)} is null or ${valueAfter(set, needs)} is not null)`)
  if (versions !== undefined && versions !== '*') {
    conditions.push(versions.length === 0 ? sql`false` : sql`previous.version in (${sql.join(versions.map((version) => sql`${version}`), sql`, `)})`)
  }
  conditions.push(sql`clock_timestamp() < ${new Date(deadline).toISOString()}::timestamptz`)
  return sql` and ${sql.join(conditions, sql` and `)}`
}

function changeStatement ({ set, actor, action, retain, guard }: ChangeStatement): SQL {
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
      from previous where target.id = previous.id${guard === undefined ? sql`` : guardCondition(set, guard)}
      returning target.*
    ),
    recorded as (
      insert into ${llmConfigHistory} (version, actor, action, changes, snapshot)
      select updated.version, ${actor}, ${action}, ${CHANGES}, to_jsonb(updated) from updated, previous
      on conflict do nothing
    ),
    ${pruned}
    -- Delivered to the replicas only when the transaction commits.
    notified as (select pg_notify(${NOTIFY_CHANNEL}, updated.version::text) from updated)
    select to_jsonb(previous) as before, (select to_jsonb(updated) from updated) as after, (select count(*) from notified) as notified
    from previous`
}
