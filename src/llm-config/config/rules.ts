// Rules on a whole configuration, checked on the state a write would produce (→ 422), in the
// change's transaction (repository.ts). Per-field rules (types, ranges, lengths) live in the schemas.
import type { LlmConfig } from './schemas.js'

export interface RuleViolation { field: string, detail: string }

/** A setting that, when set (not null), needs another one set. */
interface RequiresRule { field: keyof LlmConfig, needs: keyof LlmConfig }

const REQUIRES: readonly RequiresRule[] = [
  { field: 'backup_model', needs: 'backup_provider' }
]

export function checkRules (config: LlmConfig): RuleViolation[] {
  return REQUIRES
    .filter(({ field, needs }) => config[field] !== null && config[needs] === null)
    .map(({ field, needs }) => ({ field, detail: `${field} needs a ${needs}` }))
}
