// What a configuration asks to probe, and with which key. The primary provider is probed at
// api_url, or its default base; the backup provider at its own default base, or, when it is the
// same provider, with the primary's very probe. Where the key may go:
// - a key given in the request goes with the primary target the request names (the caller chose both);
// - the stored key goes only to the stored configuration's own origin (its api_url, or its
//   provider's default base): a request that names another host (a typo in a proxy URL, another
//   provider) probes it without a key, and the report says so (key_withheld: other_host);
// - the backup gets the key only as the same provider, so at the primary's address under the
//   same rule; a backup of another provider never gets it (key_withheld: other_provider).
import type { ProviderName } from '../../db/providers.js'
import type { LlmConfig } from '../config/schemas.js'
import type { DefaultBases } from './adapters.js'
import type { KeyWithheld, ModelSetting, TargetRole } from './schemas.js'

/** The key of a verification: given in the request body, or the stored one with the configuration it belongs to. */
export type ProbeKey =
  | { source: 'request', value: string | null }
  | { source: 'stored', value: string | null, of: Pick<LlmConfig, 'provider' | 'api_url'> }

export interface TargetPlan {
  role: TargetRole
  provider: ProviderName
  base: string | null
  apiKey: string | null
  /** Why no key goes with this probe, or null when the key goes (or there is no probe to go with). */
  withheld: KeyWithheld | null
  /** The stored key's own origin, for the report's words (other_host only). */
  keyOrigin?: string | null
}

export function planTargets (config: LlmConfig, key: ProbeKey, defaults: DefaultBases): TargetPlan[] {
  const base = config.api_url ?? defaults[config.provider]
  const primary: TargetPlan = { role: 'primary', provider: config.provider, base, ...keyFor(base, key, defaults) }
  if (config.backup_provider === null) return [primary]
  const backup: TargetPlan = config.backup_provider === config.provider
    ? { ...primary, role: 'backup' }
    : { role: 'backup', provider: config.backup_provider, base: defaults[config.backup_provider], apiKey: null, withheld: key.value === null ? 'no_key' : 'other_provider' }
  return [primary, backup]
}

function keyFor (base: string | null, key: ProbeKey, defaults: DefaultBases): Pick<TargetPlan, 'apiKey' | 'withheld' | 'keyOrigin'> {
  if (key.value === null) return { apiKey: null, withheld: 'no_key' }
  if (key.source === 'request' || base === null) return { apiKey: key.value, withheld: null }
  // Origins (scheme, host, port) compare as RFC 6454 says: http and https, or another port, are other hosts.
  const keyOrigin = originOf(key.of.api_url ?? defaults[key.of.provider])
  if (keyOrigin !== null && originOf(base) === keyOrigin) return { apiKey: key.value, withheld: null }
  return { apiKey: null, withheld: 'other_host', keyOrigin }
}

function originOf (url: string | null): string | null {
  if (url === null) return null
  try {
    const { origin } = new URL(url)
    return origin === 'null' ? null : origin
  } catch {
    return null
  }
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
