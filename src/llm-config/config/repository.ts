// Drizzle queries for the one configuration row. Returns values, never HTTP: the routes map
// an outcome to a status code (write-result.ts). Every change — PUT, PATCH, DELETE, restore,
// key rotation — takes the one path of `change()`: a transaction that runs the change
// statement (lock, update, history, NOTIFY; change-statement.ts), then checks, on the states
// the database returned, the preconditions, whether anything changed, and the rules, rolling
// everything back when one says no. The API key is encrypted here, on its way in. Every call
// runs under the request deadline (db/deadline.ts).
import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { withDeadline } from '../../db/deadline.js'
import { llmConfig, llmConfigHistory, type HistoryAction, type LlmConfigRow } from '../../db/schema.js'
import { failedPrecondition, type Preconditions } from '../../http/conditional-requests.js'
import { createHistory, recordBaseline, rowOf } from '../history/queries.js'
import { hintOf, looksLikeCiphertext, type Keyring } from '../secrets/cipher.js'
import { runChange } from './change-statement.js'
import { etagOf, toPublic } from './representation.js'
import { checkRules, type RuleViolation } from './rules.js'
import { SETTING_NAMES, type LlmConfig, type LlmConfigInput } from './schemas.js'

/** replace = PUT (left-out settings return to their defaults), merge = PATCH, reset = DELETE. */
export type WriteKind = 'replace' | 'merge' | 'reset'

export interface Snapshot { config: LlmConfig, etag: string }

export type WriteResult =
  | { outcome: 'written', config: LlmConfig, etag: string }
  /** Nothing to change: no version, no history, no NOTIFY; the current state. */
  | { outcome: 'unchanged', config: LlmConfig, etag: string }
  /** A precondition failed against the current state (whose ETag the 412 carries). */
  | { outcome: 'precondition-failed', failed: 'if-match' | 'if-none-match', config: LlmConfig, etag: string }
  | { outcome: 'rule-violation', violations: RuleViolation[] }
  | { outcome: 'unknown-version' }

export interface WriteRequest extends Preconditions {
  kind: WriteKind
  input: LlmConfigInput
  /** The token's name (or anonymous/system), recorded in the history. */
  actor: string
}

export interface RestoreRequest extends Preconditions {
  version: number
  actor: string
  /** Bring back that version's key too; by default the current key stays (it may have been rotated since). */
  restoreApiKey?: boolean
}

/** What a rotation did: re-encrypted under the current key, or nothing to do. */
export type RotateResult = 'rotated' | 'encrypted-plaintext' | 'unchanged' | 'no-key'

export interface RepositoryOptions {
  keyring: Keyring
  deadlineMs: number
  /** Versions of history to keep (HISTORY_RETAIN); undefined keeps everything. */
  historyRetain?: number
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** What a change sets: columns → values, given the locked row when the plan needs it. */
type Plan = (current: () => Promise<LlmConfigRow>, tx: Tx) => Promise<Record<string, unknown> | { outcome: 'unknown-version' }>

/** Ends a transaction without committing, carrying the answer out. */
class Rollback extends Error {
  constructor (readonly result: WriteResult) { super('rolled back') }
}

const ACTIONS: Record<WriteKind, HistoryAction> = { replace: 'update', merge: 'update', reset: 'reset' }

export function createLlmConfigRepository (db: Db, { keyring, deadlineMs, historyRetain }: RepositoryOptions) {
  // The service owns one configuration: the row with the lowest id (created at start).
  const firstRow = (query: Pick<Db, 'select'> = db) => query.select().from(llmConfig).orderBy(asc(llmConfig.id)).limit(1)
  const history = createHistory(db)

  /** The one path of every change (see the file's header). */
  async function change (
    { action, actor, preconditions = {}, restoredFrom }: { action: HistoryAction, actor: string, preconditions?: Preconditions, restoredFrom?: number },
    plan: Plan
  ): Promise<WriteResult> {
    try {
      return await withDeadline(deadlineMs, (deadline) => db.transaction(async (tx) => {
        deadline.check() // queued past the deadline: the client has its 503 already
        // A plan that depends on the stored state (restore, rotation, a key) reads it locked first.
        const set = await plan(async () => mustExist((await firstRow(tx).for('update'))[0]), tx)
        if ('outcome' in set) return set as WriteResult
        const result = await runChange(tx, { set, actor, action, restoredFrom, retain: historyRetain })
        const before = snapshot(rowOf(result.before))
        const failed = failedPrecondition(preconditions, before.etag)
        if (failed) throw new Rollback({ outcome: 'precondition-failed', failed, ...before })
        if (Object.keys(result.changes).length === 0) throw new Rollback({ outcome: 'unchanged', ...before })
        const after = snapshot(rowOf(result.after))
        // Rules are checked on the state the database produced (its defaults included).
        const violations = checkRules(after.config)
        if (violations.length > 0) throw new Rollback({ outcome: 'rule-violation', violations })
        deadline.check() // too late to acknowledge: roll back rather than commit unannounced
        return { outcome: 'written' as const, ...after }
      }))
    } catch (error) {
      if (error instanceof Rollback) return error.result
      throw error
    }
  }

  /** The key's columns for a new key (or none): ciphertext, hint, and the version that set it. */
  const keyColumns = (plaintext: string | null) => ({
    api_key: plaintext === null ? null : keyring.encrypt(plaintext),
    api_key_hint: plaintext === null ? null : hintOf(plaintext),
    api_key_version: plaintext === null ? null : sql`target.version + 1`
  })

  /** The plaintext of the stored key, or undefined when it cannot be read (then any given key counts as new). */
  const storedPlaintext = (row: LlmConfigRow): string | null | undefined => {
    if (row.api_key === null) return null
    try {
      return looksLikeCiphertext(row.api_key) ? keyring.decrypt(row.api_key) : row.api_key
    } catch {
      return undefined
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

    write ({ kind, input, actor, ifMatch, ifNoneMatch }: WriteRequest): Promise<WriteResult> {
      return change({ action: ACTIONS[kind], actor, preconditions: { ifMatch, ifNoneMatch } }, async (current) => {
        const set = settingAssignments(kind, input)
        // api_key is write-only: absent keeps it, even on a replace, so a GET body sent back
        // with PUT keeps the key. A reset clears it. The same key again is no change.
        const apiKey = kind === 'reset' ? null : input.api_key
        if (apiKey !== undefined && apiKey !== storedPlaintext(await current())) Object.assign(set, keyColumns(apiKey))
        return set
      })
    },

    /**
     * A new version whose settings equal version `version`'s. The key stays the current one
     * unless `restoreApiKey` asks for that version's (re-encrypted under the current key;
     * refused when no configured key can decrypt it).
     */
    restore ({ version, actor, ifMatch, ifNoneMatch, restoreApiKey = false }: RestoreRequest): Promise<WriteResult> {
      return change({ action: 'restore', actor, preconditions: { ifMatch, ifNoneMatch }, restoredFrom: version }, async (current, tx) => {
        const [entry] = await tx.select({ snapshot: llmConfigHistory.snapshot }).from(llmConfigHistory).where(eq(llmConfigHistory.version, version))
        if (!entry) return { outcome: 'unknown-version' }
        const old = rowOf(entry.snapshot)
        const set: Record<string, unknown> = Object.fromEntries(SETTING_NAMES.map((name) => [name, old[name]]))
        if (restoreApiKey) {
          const plaintext = old.api_key === null ? null : keyring.decrypt(old.api_key) // throws SecretUnavailableError
          if (plaintext !== storedPlaintext(await current())) Object.assign(set, keyColumns(plaintext))
        }
        return set
      })
    },

    /**
     * Brings the stored key under the current encryption key: re-encrypts ciphertext made with
     * an older key, and encrypts a plaintext key left by an older schema. Idempotent; recorded
     * as a `rotate` version (the key itself, and so api_key_version, stay the same). With
     * plaintextOnly (at every start) only a plaintext key is encrypted: re-encrypting under a
     * new key is left to `secrets:rotate`, so replicas still running with the old key alone
     * keep decrypting during a rollout.
     */
    async rotate ({ plaintextOnly = false, actor = 'system' } = {}): Promise<RotateResult> {
      let outcome: RotateResult = 'unchanged'
      await change({ action: 'rotate', actor }, async (current) => {
        const row = await current()
        if (row.api_key === null) {
          outcome = 'no-key'
          return {}
        }
        const legacy = !looksLikeCiphertext(row.api_key)
        if (!legacy && (plaintextOnly || keyring.isCurrent(row.api_key))) return {}
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

function mustExist<T> (row: T | undefined | null): T {
  if (row === undefined || row === null) throw new Error('The llm_config row is missing: it is created when the service starts')
  return row
}

/** The settings' SET clause: given values, DEFAULT for settings a replace or reset leaves out. */
function settingAssignments (kind: WriteKind, input: LlmConfigInput): Record<string, unknown> {
  const set: Record<string, unknown> = {}
  for (const name of SETTING_NAMES) {
    if (kind !== 'reset' && input[name] !== undefined) set[name] = input[name]
    else if (kind !== 'merge') set[name] = sql`default`
  }
  return set
}
