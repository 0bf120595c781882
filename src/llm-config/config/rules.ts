// Rules on a whole configuration, checked on the state a write would produce (→ 422).
// Per-field rules (types, ranges, lengths) live in the schemas. Declared as data so that the
// database can check them too, inside a PATCH's single statement (change-statement.ts).
import type { LlmConfig } from './schemas.js'

export interface RuleViolation { field: string, detail: string }

/** A setting that, when set (not null), needs another one set. */
export interface RequiresRule { field: keyof LlmConfig, needs: keyof LlmConfig }

export const REQUIRES: readonly RequiresRule[] = [
  { field: 'backup_model', needs: 'backup_provider' }
]

export function checkRules (config: LlmConfig): RuleViolation[] {
  return REQUIRES
    .filter(({ field, needs }) => config[field] !== null && config[needs] === null)
    .map(({ field, needs }) => ({ field, detail: `${field} needs a ${needs}` }))
}
