// How a stored row is shown: the public representation and its entity tag.
import type { LlmConfigRow } from '../../db/schema.js'
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
 * A strong ETag (RFC 9110 §8.8.3): the version, which every change increments in the
 * database. The same on every replica and across restarts, and cheap to compare.
 */
export function etagOf (config: Pick<LlmConfig, 'version'>): string {
  return `"${config.version}"`
}
