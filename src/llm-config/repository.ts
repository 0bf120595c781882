// Drizzle queries for the one configuration row. Returns values, never HTTP: the routes map
// a lost compare-and-set or a rule violation to a status code. Every call runs under the
// request deadline (db/deadline.ts); the API key is encrypted here, on its way in.
import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { withDeadline } from '../db/deadline.js'
import { llmConfig, type LlmConfigRow } from '../db/schema.js'
import { etagOf, toPublic } from './representation.js'
import { checkRules, type RuleViolation } from './rules.js'
import { SETTING_NAMES, type LlmConfig, type LlmConfigInput } from './schemas.js'
import { hintOf, looksLikeCiphertext, type Keyring } from './secrets.js'

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

/** What a rotation did: re-encrypted under the current key, or nothing to do. */
export type RotateResult = 'rotated' | 'encrypted-plaintext' | 'unchanged' | 'no-key'

class RuleViolationRollback extends Error {
  constructor (readonly violations: RuleViolation[]) { super('rule violation') }
}

export interface RepositoryOptions { keyring: Keyring, deadlineMs: number }

export function createLlmConfigRepository (db: Db, { keyring, deadlineMs }: RepositoryOptions) {
  // The service owns one configuration: the row with the lowest id (created at start).
  const firstRow = (query: Pick<Db, 'select'> = db) => query.select().from(llmConfig).orderBy(asc(llmConfig.id)).limit(1)

  return {
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
      try {
        return await withDeadline(deadlineMs, () => db.transaction(async (tx) => {
          const [locked] = await firstRow(tx).for('update')
          const current = snapshot(mustExist(locked))
          if (request.precondition && !request.precondition(current.etag)) return { outcome: 'precondition-failed' as const }

          const [updated] = await tx.update(llmConfig)
            .set(assignments(request.kind, request.input, keyring))
            .where(eq(llmConfig.id, current.config.id))
            .returning()
          const next = snapshot(mustExist(updated))
          // Rules are checked on the state the database produced (its defaults included);
          // a violation rolls the update back.
          const violations = checkRules(next.config)
          if (violations.length > 0) throw new RuleViolationRollback(violations)
          return { outcome: 'written' as const, ...next }
        }))
      } catch (error) {
        if (error instanceof RuleViolationRollback) return { outcome: 'rule-violation', violations: error.violations }
        throw error
      }
    },

    /**
     * Brings the stored key under the current encryption key: re-encrypts ciphertext made with
     * an older key, and encrypts a plaintext key left by an older schema. Idempotent. The public
     * state (and so the ETag) does not change. With plaintextOnly (at every start) only a
     * plaintext key is encrypted: re-encrypting under a new key is left to `secrets:rotate`, so
     * replicas still running with the old key alone keep decrypting during a rollout.
     */
    async rotate ({ plaintextOnly = false } = {}): Promise<RotateResult> {
      return await db.transaction(async (tx) => {
        const [locked] = await firstRow(tx).for('update')
        const row = mustExist(locked)
        if (row.api_key === null) return 'no-key'
        const legacy = !looksLikeCiphertext(row.api_key)
        if (keyring.isCurrent(row.api_key) || (plaintextOnly && !legacy)) return 'unchanged'
        const plaintext = legacy ? row.api_key : keyring.decrypt(row.api_key)
        await tx.update(llmConfig)
          .set({ api_key: keyring.encrypt(plaintext), api_key_hint: hintOf(plaintext) })
          .where(eq(llmConfig.id, row.id))
        return legacy ? 'encrypted-plaintext' : 'rotated'
      })
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
  // Strictly forward, even for two writes within one millisecond or under a clock step back:
  // the ETag is derived from updated_at (millisecond precision on the wire).
  set.updated_at = sql`greatest(now(), ${llmConfig.updated_at} + interval '1 millisecond')`
  return set
}
