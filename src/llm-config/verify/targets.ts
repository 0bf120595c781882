// What a configuration asks to probe: the primary provider (at api_url, or its default base,
// with the key) and the backup provider. The key belongs to the primary provider: the backup
// gets it only when it is that same provider (then at the same address); otherwise it is
// probed at its own default base, without the key.
import type { ProviderName } from '../../db/providers.js'
import type { LlmConfig } from '../config/schemas.js'
import type { DefaultBases } from './adapters.js'
import type { ModelSetting, TargetRole } from './schemas.js'

export interface TargetPlan {
  role: TargetRole
  provider: ProviderName
  base: string | null
  apiKey: string | null
}

export function planTargets (config: LlmConfig, apiKey: string | null, defaults: DefaultBases): TargetPlan[] {
  const primary: TargetPlan = { role: 'primary', provider: config.provider, base: config.api_url ?? defaults[config.provider], apiKey }
  if (config.backup_provider === null) return [primary]
  const backup: TargetPlan = config.backup_provider === config.provider
    ? { ...primary, role: 'backup' }
    : { role: 'backup', provider: config.backup_provider, base: defaults[config.backup_provider], apiKey: null }
  return [primary, backup]
}

export interface ConfiguredModel { setting: ModelSetting, model: string, role: TargetRole }

/** Every model the configuration names, with the target that serves it. */
export function configuredModels (config: LlmConfig): ConfiguredModel[] {
  const models: Array<[ModelSetting, string | null, TargetRole]> = [
    ['model_tagger', config.model_tagger, 'primary'],
    ['model_enricher', config.model_enricher, 'primary'],
    ['model_analytics', config.model_analytics, 'primary'],
    ['model_responder', config.model_responder, 'primary'],
    ['backup_model', config.backup_model, 'backup']
  ]
  return models.flatMap(([setting, model, role]) => model === null ? [] : [{ setting, model, role }])
}
