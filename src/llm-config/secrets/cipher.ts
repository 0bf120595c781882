// The API key at rest: AES-256-GCM with a fresh random 96-bit nonce per write, tagged with a
// format version and the id of the key that encrypted it, so old keys keep decrypting while
// a new one takes over (ENCRYPTION_KEYS_OLD), and a wrong key fails closed: GCM's tag makes
// decryption with any other key an error, never garbage.
//
//   llmcfg:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { PROBLEM_TYPES, ProblemError } from '../../http/problems.js'

const PREFIX = 'llmcfg:v1:'
const NONCE_BYTES = 12
const TAG_BYTES = 16
const FORMAT = /^llmcfg:v1:([A-Za-z0-9_-]{8}):([A-Za-z0-9_-]+)$/

/** The stored key cannot be decrypted: unknown key id, or tampered or corrupt ciphertext. */
export class SecretUnavailableError extends ProblemError {
  constructor (readonly detail: string) {
    // Fail closed, and say why: the detail names key ids, never key material.
    super({ status: 500, type: PROBLEM_TYPES.secretUnavailable, title: 'API key unavailable', detail }, 'error')
    this.name = 'SecretUnavailableError'
  }
}

/** A key's public name: a hash, so it can appear in errors and logs without revealing the key. */
export function keyId (key: Buffer): string {
  return createHash('sha256').update('llm-config-service key id\0').update(key).digest('base64url').slice(0, 8)
}

/** Anything that is, or pretends to be, the service's own ciphertext. */
export function looksLikeCiphertext (value: string): boolean {
  return value.startsWith(PREFIX)
}

/** What responses show of the key: its last 4 characters, and nothing of a short key. */
export function hintOf (apiKey: string): string {
  return apiKey.length >= 12 ? `…${apiKey.slice(-4)}` : '…'
}

export const HINT_PREFIX = '…'

export class Keyring {
  readonly currentId: string
  private readonly keys: Map<string, Buffer>

  constructor (private readonly current: Buffer, old: Buffer[] = []) {
    this.currentId = keyId(current)
    this.keys = new Map([...old, current].map((key) => [keyId(key), key]))
  }

  encrypt (plaintext: string): string {
    const nonce = randomBytes(NONCE_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.current, nonce)
    cipher.setAAD(aad(this.currentId))
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${PREFIX}${this.currentId}:${body.toString('base64url')}`
  }

  decrypt (stored: string): string {
    const match = FORMAT.exec(stored)
    if (!match) throw new SecretUnavailableError('The stored API key is not in the service\'s ciphertext format.')
    const [, id = '', encoded = ''] = match
    const key = this.keys.get(id)
    if (!key) {
      throw new SecretUnavailableError(`The stored API key was encrypted with key id ${id}, which is neither ENCRYPTION_KEY (${this.currentId}) nor in ENCRYPTION_KEYS_OLD.`)
    }
    const body = Buffer.from(encoded, 'base64url')
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnavailableError('The stored API key ciphertext is truncated.')
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES))
      decipher.setAAD(aad(id))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8')
    } catch {
      throw new SecretUnavailableError(`The stored API key does not authenticate under key id ${id}: the ciphertext or the key is wrong.`)
    }
  }

  /** True when the stored value is ciphertext under the current key (nothing to rotate). */
  isCurrent (stored: string): boolean {
    return FORMAT.exec(stored)?.[1] === this.currentId
  }
}

// Binds a ciphertext to its purpose and key id: it cannot be replayed into another field.
function aad (id: string): Buffer {
  return Buffer.from(`${PREFIX}${id}:llm_config.api_key`)
}
