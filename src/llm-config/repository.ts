// Drizzle queries for the one configuration row. Returns values, never HTTP: the routes map
// a lost compare-and-set or a rule violation to a status code. Every change is one
// transaction: lock the row, check the precondition, update (version + 1), check the rules,
// record the version in the history and NOTIFY the replicas. The API key is encrypted here,
// on its way in. Every call runs under the request deadline (db/deadline.ts).
import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { withDeadline } from '../db/deadline.js'
import { llmConfig, llmConfigHistory, type HistoryAction, type LlmConfigRow } from '../db/schema.js'
import { createHistory, recordVersion, rowOf } from './history.js'
import { etagOf, toPublic } from './representation.js'
import { checkRules, type RuleViolation } from './rules.js'
import { SETTING_NAMES, type LlmConfig, type LlmConfigInput } from './schemas.js'
import { hintOf, looksLikeCiphertext, type Keyring } from './secrets.js'

/** replace = PUT (left-out settings return to their defaults), merge = PATCH, reset = DELETE. */
export type WriteKind = 'replace' | 'merge' | 'reset'

export interface WriteRequest {
  kind: WriteKind
  input: LlmConfigInput
  /** The token's name (or anonymous/system), recorded in the history. */
  actor: string
  /** Checked against the stored state's ETag while the row is locked: the compare-and-set. */
  precondition?: (currentEtag: string) => boolean
}

export type WriteResult =
  | { outcome: 'written', config: LlmConfig, etag: string }
  | { outcome: 'precondition-failed' }
  | { outcome: 'rule-violation', violations: RuleViolation[] }
  | { outcome: 'unknown-version' }

export interface Snapshot { config: LlmConfig, etag: string }

/** What a rotation did: re-encrypted under the current key, or nothing to do. */
export type RotateResult = 'rotated' | 'encrypted-plaintext' | 'unchanged' | 'no-key'

class Rollback extends Error {
  constructor (readonly result: WriteResult) { super('rolled back') }
}

export interface RepositoryOptions {
  keyring: Keyring
  deadlineMs: number
  /** Versions of history to keep (HISTORY_RETAIN); undefined keeps everything. */
  historyRetain?: number
}

const ACTIONS: Record<WriteKind, HistoryAction> = { replace: 'update', merge: 'update', reset: 'reset' }

export function createLlmConfigRepository (db: Db, { keyring, deadlineMs, historyRetain }: RepositoryOptions) {
  // The service owns one configuration: the row with the lowest id (created at start).
  const firstRow = (query: Pick<Db, 'select'> = db) => query.select().from(llmConfig).orderBy(asc(llmConfig.id)).limit(1)
  const history = createHistory(db)

  /**
   * One change: lock, precondition, SET (plus version + 1 and updated_at), rules, history,
   * NOTIFY. `plan` returns the SET clause for the locked row, or a result that ends the
   * change without writing.
   */
  async function change<R extends WriteResult | { outcome: 'unchanged' }> (
    action: HistoryAction,
    actor: string,
    precondition: ((etag: string) => boolean) | undefined,
    plan: (current: LlmConfigRow, tx: Db) => Promise<Record<string, unknown> | R>
  ): Promise<WriteResult | R> {
    try {
      return await withDeadline(deadlineMs, (deadline) => db.transaction(async (tx) => {
        deadline.check() // queued past the deadline: the client has its 503 already
        const current = mustExist((await firstRow(tx).for('update'))[0])
        if (precondition && !precondition(etagOf(current))) return { outcome: 'precondition-failed' as const }
        const set = await plan(current, tx as unknown as Db)
        if ('outcome' in set) return set as R
        const [updated] = await tx.update(llmConfig)
          .set({
            ...set,
            version: sql`${llmConfig.version} + 1`,
            // Strictly forward, even for two writes within one millisecond or a clock step back.
            updated_at: sql`greatest(now(), ${llmConfig.updated_at} + interval '1 millisecond')`
          })
          .where(eq(llmConfig.id, current.id))
          .returning()
        const after = mustExist(updated)
        // Rules are checked on the state the database produced (its defaults included);
        // a violation rolls the whole change back, history and NOTIFY included.
        const violations = checkRules(toPublic(after))
        if (violations.length > 0) throw new Rollback({ outcome: 'rule-violation', violations })
        await recordVersion(tx, { before: current, after, actor, action, retain: historyRetain })
        deadline.check() // too late to acknowledge: roll back rather than commit unannounced
        return { outcome: 'written' as const, ...snapshot(after) }
      }))
    } catch (error) {
      if (error instanceof Rollback) return error.result as R
      throw error
    }
  }

  return {
    history,

    async read (): Promise<Snapshot> {
      const [row] = await withDeadline(deadlineMs, () => firstRow(), { idempotent: true })
      return snapshot(mustExist(row))
    },

    /** The plaintext key, or null. Throws SecretUnavailableError when no configured key decrypts it. */
    async readApiKey (): Promise<string | null> {
      const [row] = await withDeadline(deadlineMs, () => db.select({ api_key: llmConfig.api_key }).from(llmConfig).orderBy(asc(llmConfig.id)).limit(1), { idempotent: true })
      const stored = mustExist(row).api_key
      return stored === null ? null : keyring.decrypt(stored)
    },

    write (request: WriteRequest): Promise<WriteResult> {
      return change<WriteResult>(ACTIONS[request.kind], request.actor, request.precondition, async () => assignments(request.kind, request.input, keyring))
    },

    /**
     * A new version whose state equals version `version`'s, the key included (re-encrypted
     * under the current key; refused when no configured key can decrypt it).
     */
    restore ({ version, actor, precondition }: { version: number, actor: string, precondition?: (etag: string) => boolean }): Promise<WriteResult> {
      return change<WriteResult>('restore', actor, precondition, async (_current, tx) => {
        const [entry] = await tx.select({ snapshot: llmConfigHistory.snapshot }).from(llmConfigHistory).where(eq(llmConfigHistory.version, version))
        if (!entry) return { outcome: 'unknown-version' }
        const old = rowOf(entry.snapshot)
        const set: Record<string, unknown> = Object.fromEntries(SETTING_NAMES.map((name) => [name, old[name]]))
        const plaintext = old.api_key === null ? null : keyring.decrypt(old.api_key) // throws SecretUnavailableError
        set.api_key = plaintext === null ? null : keyring.encrypt(plaintext)
        set.api_key_hint = plaintext === null ? null : hintOf(plaintext)
        return set
      })
    },

    /**
     * Brings the stored key under the current encryption key: re-encrypts ciphertext made with
     * an older key, and encrypts a plaintext key left by an older schema. Idempotent; recorded
     * as a `rotate` version. With plaintextOnly (at every start) only a plaintext key is
     * encrypted: re-encrypting under a new key is left to `secrets:rotate`, so replicas still
     * running with the old key alone keep decrypting during a rollout.
     */
    async rotate ({ plaintextOnly = false, actor = 'system' } = {}): Promise<RotateResult> {
      let outcome: RotateResult = 'unchanged'
      const nothing = { outcome: 'unchanged' as const }
      await change('rotate', actor, undefined, async (row) => {
        if (row.api_key === null) {
          outcome = 'no-key'
          return nothing
        }
        const legacy = !looksLikeCiphertext(row.api_key)
        if (!legacy && (plaintextOnly || keyring.isCurrent(row.api_key))) return nothing
        outcome = legacy ? 'encrypted-plaintext' : 'rotated'
        const plaintext = legacy ? row.api_key : keyring.decrypt(row.api_key)
        return { api_key: keyring.encrypt(plaintext), api_key_hint: hintOf(plaintext) }
      })
      return outcome
    },

    /** At start: the current version has its history row (a database that predates the history gets one). */
    async ensureHistoryBaseline (): Promise<void> {
      const current = mustExist((await firstRow())[0])
      await recordVersion(db, { before: undefined, after: current, actor: 'system', action: 'create', retain: undefined })
    }
  }
}

export type LlmConfigRepository = ReturnType<typeof createLlmConfigRepository>

export function snapshot (row: LlmConfigRow): Snapshot {
  const config = toPublic(row)
  return { config, etag: etagOf(config) }
}

function mustExist<T> (row: T | undefined): T {
  if (row === undefined) throw new Error('The llm_config row is missing: it is created when the service starts')
  return row
}

/** The SET clause: given values, DEFAULT for settings a replace or reset leaves out. */
function assignments (kind: WriteKind, input: LlmConfigInput, keyring: Keyring): Record<string, unknown> {
  const set: Record<string, unknown> = {}
  for (const name of SETTING_NAMES) {
    if (kind !== 'reset' && input[name] !== undefined) set[name] = input[name]
    else if (kind !== 'merge') set[name] = sql`default`
  }
  // api_key is write-only: absent keeps it, even on a replace, so a GET body sent back with
  // PUT keeps the key. A reset clears it. It is stored only as ciphertext.
  const apiKey = kind === 'reset' ? null : input.api_key
  if (apiKey !== undefined) {
    set.api_key = apiKey === null ? null : keyring.encrypt(apiKey)
    set.api_key_hint = apiKey === null ? null : hintOf(apiKey)
  }
  return set
}
