// Drizzle queries for the one configuration row. Returns values, never HTTP: the routes map
// a lost compare-and-set or a rule violation to a status code.
import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { llmConfig, type LlmConfigRow } from '../db/schema.js'
import { etagOf, toPublic } from './representation.js'
import { checkRules, type RuleViolation } from './rules.js'
import { SETTING_NAMES, type LlmConfig, type LlmConfigInput } from './schemas.js'

/** replace = PUT (left-out settings return to their defaults), merge = PATCH, reset = DELETE. */
export type WriteKind = 'replace' | 'merge' | 'reset'

export interface WriteRequest {
  kind: WriteKind
  input: LlmConfigInput
  /** Checked against the stored state's ETag while the row is locked: the compare-and-set. */
  precondition?: (currentEtag: string) => boolean
}

export type WriteResult =
  | { outcome: 'written', config: LlmConfig, etag: string }
  | { outcome: 'precondition-failed' }
  | { outcome: 'rule-violation', violations: RuleViolation[] }

export interface Snapshot { config: LlmConfig, etag: string }

class RuleViolationRollback extends Error {
  constructor (readonly violations: RuleViolation[]) { super('rule violation') }
}

export function createLlmConfigRepository (db: Db) {
  // The service owns one configuration: the row with the lowest id (created at start).
  const firstRow = () => db.select().from(llmConfig).orderBy(asc(llmConfig.id)).limit(1)

  return {
    async read (): Promise<Snapshot> {
      const [row] = await firstRow()
      return snapshot(mustExist(row))
    },

    async write (request: WriteRequest): Promise<WriteResult> {
      try {
        return await db.transaction(async (tx) => {
          const [locked] = await tx.select().from(llmConfig).orderBy(asc(llmConfig.id)).limit(1).for('update')
          const current = snapshot(mustExist(locked))
          if (request.precondition && !request.precondition(current.etag)) return { outcome: 'precondition-failed' }

          const [updated] = await tx.update(llmConfig)
            .set(assignments(request.kind, request.input))
            .where(eq(llmConfig.id, current.config.id))
            .returning()
          const next = snapshot(mustExist(updated))
          // Rules are checked on the state the database produced (its defaults included);
          // a violation rolls the update back.
          const violations = checkRules(next.config)
          if (violations.length > 0) throw new RuleViolationRollback(violations)
          return { outcome: 'written', ...next }
        })
      } catch (error) {
        if (error instanceof RuleViolationRollback) return { outcome: 'rule-violation', violations: error.violations }
        throw error
      }
    }
  }
}

export type LlmConfigRepository = ReturnType<typeof createLlmConfigRepository>

function snapshot (row: LlmConfigRow): Snapshot {
  const config = toPublic(row)
  return { config, etag: etagOf(config) }
}

function mustExist<T> (row: T | undefined): T {
  if (row === undefined) throw new Error('The llm_config row is missing: it is created when the service starts')
  return row
}

/** The SET clause: given values, DEFAULT for settings a replace or reset leaves out. */
function assignments (kind: WriteKind, input: LlmConfigInput): Record<string, unknown> {
  const set: Record<string, unknown> = {}
  for (const name of SETTING_NAMES) {
    if (kind !== 'reset' && input[name] !== undefined) set[name] = input[name]
    else if (kind !== 'merge') set[name] = sql`default`
  }
  // api_key is write-only: absent keeps it, even on a replace, so a GET body sent back with
  // PUT keeps the key. A reset clears it.
  if (kind === 'reset') set.api_key = null
  else if (input.api_key !== undefined) set.api_key = input.api_key
  // Strictly forward, even for two writes within one millisecond or under a clock step back:
  // the ETag is derived from updated_at (millisecond precision on the wire).
  set.updated_at = sql`greatest(now(), ${llmConfig.updated_at} + interval '1 millisecond')`
  return set
}
