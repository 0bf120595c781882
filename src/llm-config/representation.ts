// How a stored row is shown: the public representation and its entity tag.
import { createHash } from 'node:crypto'
import type { LlmConfigRow } from '../db/schema.js'
import type { LlmConfig } from './schemas.js'

export function toPublic (row: LlmConfigRow): LlmConfig {
  const { api_key: apiKey, api_key_hint: apiKeyHint, created_at: createdAt, updated_at: updatedAt, ...rest } = row
  return {
    ...rest,
    api_key_set: apiKey !== null,
    api_key_hint: apiKey === null ? null : apiKeyHint,
    created_at: createdAt.toISOString(),
    updated_at: updatedAt.toISOString()
  }
}

/**
 * A strong ETag (RFC 9110 §8.8.3) derived from the stored state alone, so every replica and
 * every restart computes the same tag. Every write moves updated_at forward by at least a
 * millisecond, so the tag changes on every write, including a write of the API key (which
 * shows only as api_key_set and updated_at: the key never feeds the hash).
 */
export function etagOf (config: LlmConfig): string {
  const digest = createHash('sha256').update(JSON.stringify(config)).digest('base64url')
  return `"${digest.slice(0, 27)}"`
}
