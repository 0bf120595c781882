// Drizzle queries for the one configuration row. Returns values, never HTTP: the routes map
// a lost compare-and-set or a rule violation to a status code. Every change is one
// transaction: lock the row, update it (version + 1), record the version in the history and
// NOTIFY the replicas (one statement, change-statement.ts), then check the precondition and
// the rules, rolling back when either fails. The API key is encrypted here,
// on its way in. Every call runs under the request deadline (db/deadline.ts).
import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { withDeadline } from '../../db/deadline.js'
import { llmConfig, llmConfigHistory, type HistoryAction, type LlmConfigRow } from '../../db/schema.js'
import { runChange } from './change-statement.js'
import { createHistory, recordBaseline, rowOf } from '../history/queries.js'
import { ifMatchHolds, ifMatchVersions } from '../../http/conditional-requests.js'
import { etagOf, toPublic } from './representation.js'
import { checkRules, type RuleViolation } from './rules.js'
import { SETTING_NAMES, type LlmConfig, type LlmConfigInput } from './schemas.js'
import { hintOf, looksLikeCiphertext, type Keyring } from '../secrets/cipher.js'

/** replace = PUT (left-out settings return to their defaults), merge = PATCH, reset = DELETE. */
export type WriteKind = 'replace' | 'merge' | 'reset'

export interface WriteRequest {
  kind: WriteKind
  input: LlmConfigInput
  /** The token's name (or anonymous/system), recorded in the history. */
  actor: string
  /** The If-Match header, checked against the stored state's ETag while the row is locked: the compare-and-set. */
  ifMatch?: string
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
   * One change, in a transaction: the change statement (lock, SET plus version + 1 and
   * updated_at, history, NOTIFY), then the precondition and the rules on the states it
   * returns — either failing rolls the whole change back. `plan` is the SET clause, or a
   * function of the locked row that returns it or a result that ends the change unwritten.
   */
  async function change<R extends WriteResult | { outcome: 'unchanged' }> (
    action: HistoryAction,
    actor: string,
    precondition: ((etag: string) => boolean) | undefined,
    plan: Record<string, unknown> | ((current: LlmConfigRow, tx: Db) => Promise<Record<string, unknown> | R>)
  ): Promise<WriteResult | R> {
    try {
      return await withDeadline(deadlineMs, (deadline) => db.transaction(async (tx) => {
        deadline.check() // queued past the deadline: the client has its 503 already
        let set = plan
        if (typeof set === 'function') {
          // A plan that depends on the stored state (restore, rotate) reads it locked first.
          set = await set(mustExist((await firstRow(tx).for('update'))[0]), tx as unknown as Db)
          if ('outcome' in set) return set as R
        }
        const result = await runChange(tx, { set, actor, action, retain: historyRetain })
        const before = rowOf(result.before)
        if (precondition && !precondition(etagOf(before))) throw new Rollback({ outcome: 'precondition-failed' })
        const after = rowOf(mustExist(result.after))
        // Rules are checked on the state the database produced (its defaults included);
        // a violation rolls the whole change back, history and NOTIFY included.
        const violations = checkRules(toPublic(after))
        if (violations.length > 0) throw new Rollback({ outcome: 'rule-violation', violations })
        deadline.check() // too late to acknowledge: roll back rather than commit unannounced
        return { outcome: 'written' as const, ...snapshot(after) }
      }))
    } catch (error) {
      if (error instanceof Rollback) return error.result as R
      throw error
    }
  }

  /**
   * A merge patch as one statement without a transaction: the database checks If-Match, the
   * rules and the deadline itself (change-statement.ts), so the row is locked only while the
   * statement runs. When it changes nothing, the stored state it returns says why. Undefined
   * when only the database's clock saw the deadline pass (its clock is ahead of ours): the
   * caller then runs the change in a transaction, which needs no clock.
   */
  async function mergeAlone (request: WriteRequest, set: Record<string, unknown>): Promise<WriteResult | undefined> {
    return withDeadline(deadlineMs, async (deadline) => {
      const versions = request.ifMatch === undefined ? undefined : ifMatchVersions(request.ifMatch)
      const result = await runChange(db, { set, actor: request.actor, action: 'update', retain: historyRetain, guard: { versions, deadline: deadline.at } })
      if (result.after !== null) return { outcome: 'written' as const, ...snapshot(rowOf(result.after)) }
      const before = toPublic(rowOf(result.before))
      const precondition = preconditionOf(request.ifMatch)
      if (precondition && !precondition(etagOf(before))) return { outcome: 'precondition-failed' as const }
      const violations = checkRules({ ...before, ...settingsOf(request.input) })
      if (violations.length > 0) return { outcome: 'rule-violation' as const, violations }
      deadline.check()
      return undefined
    })
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

    async write (request: WriteRequest): Promise<WriteResult> {
      const set = assignments(request.kind, request.input, keyring)
      if (request.kind === 'merge') {
        const merged = await mergeAlone(request, set)
        if (merged) return merged
      }
      return change<WriteResult>(ACTIONS[request.kind], request.actor, preconditionOf(request.ifMatch), set)
    },

    /**
     * A new version whose state equals version `version`'s, the key included (re-encrypted
     * under the current key; refused when no configured key can decrypt it).
     */
    restore ({ version, actor, ifMatch }: { version: number, actor: string, ifMatch?: string }): Promise<WriteResult> {
      return change<WriteResult>('restore', actor, preconditionOf(ifMatch), async (_current, tx) => {
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
      await recordBaseline(db, mustExist((await firstRow())[0]))
    }
  }
}

export type LlmConfigRepository = ReturnType<typeof createLlmConfigRepository>

export function snapshot (row: LlmConfigRow): Snapshot {
  const config = toPublic(row)
  return { config, etag: etagOf(config) }
}

const preconditionOf = (ifMatch: string | undefined) => ifMatch === undefined ? undefined : (etag: string) => ifMatchHolds(ifMatch, etag)

/** The settings a write gives (the key, write-only, is not one). */
function settingsOf (input: LlmConfigInput): Partial<LlmConfig> {
  return Object.fromEntries(SETTING_NAMES.filter((name) => input[name] !== undefined).map((name) => [name, input[name]]))
}

function mustExist<T> (row: T | undefined | null): T {
  if (row === undefined || row === null) throw new Error('The llm_config row is missing: it is created when the service starts')
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
