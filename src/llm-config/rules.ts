// Rules on a whole configuration, checked on the state a write would produce (→ 422).
// Per-field rules (types, ranges, lengths) live in the schemas.
import type { LlmConfig } from './schemas.js'

export interface RuleViolation { field: string, detail: string }

export function checkRules (config: LlmConfig): RuleViolation[] {
  const violations: RuleViolation[] = []
  if (config.backup_model !== null && config.backup_provider === null) {
    violations.push({ field: 'backup_model', detail: 'backup_model needs a backup_provider' })
  }
  return violations
}
