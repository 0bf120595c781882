// What the client accepts as a configuration, from the service or from a cache file: an
// object with the fields every worker relies on. Not a full schema check (the service is the
// authority on values and adds fields over time); enough to refuse a foreign or damaged file.
import type { LlmConfig } from './openapi-types.js'

/** The service's contract adds api_key_version; until openapi.json has it, it is optional here. */
export type ServedConfig = LlmConfig & { api_key_version?: number | null }

export function isServedConfig (value: unknown): value is ServedConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const config = value as Record<string, unknown>
  return Number.isSafeInteger(config.version) && (config.version as number) >= 1 &&
    typeof config.provider === 'string' &&
    typeof config.model_tagger === 'string' &&
    typeof config.enabled === 'boolean' &&
    typeof config.api_key_set === 'boolean'
}

/** The names of the fields whose values differ (fields are JSON primitives, so !== suffices). */
export function changedFields (previous: ServedConfig, current: ServedConfig): string[] {
  const names = new Set([...Object.keys(previous), ...Object.keys(current)])
  const before = previous as unknown as Record<string, unknown>
  const after = current as unknown as Record<string, unknown>
  return [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name])).sort()
}
