// The verify report: every target probed in parallel, each under its own deadline, then each
// configured model looked up in its target's list. `ok` only when everything answered and
// every model is listed.
import type { LlmConfig } from '../config/schemas.js'
import { ADAPTERS, DEFAULT_BASES, type DefaultBases } from './adapters.js'
import { probe, type ProbeResult } from './probe.js'
import type { VerifyModel, VerifyReport, VerifyTarget } from './schemas.js'
import { configuredModels, planTargets, type ProbeKey, type TargetPlan } from './targets.js'

export interface VerifyOptions {
  timeoutMs: number
  /** VERIFY_ALLOW_PRIVATE: every provider may be probed at private and loopback addresses. */
  allowPrivate: boolean
  /** Default base URLs per provider (tests point them at local fakes). */
  defaultBases?: DefaultBases
}

export async function verifyConfiguration (config: LlmConfig, key: ProbeKey, options: VerifyOptions): Promise<VerifyReport> {
  const plans = planTargets(config, key, options.defaultBases ?? DEFAULT_BASES)
  // A backup on the same provider and address is the same request: probe it once.
  const probes = new Map<string, Promise<ProbeResult>>()
  const results = await Promise.all(plans.map((plan) => {
    const key = JSON.stringify([plan.provider, plan.base, plan.apiKey !== null])
    if (!probes.has(key)) probes.set(key, probe({ ...plan, allowPrivate: options.allowPrivate, timeoutMs: options.timeoutMs }))
    return probes.get(key) as Promise<ProbeResult>
  }))
  const targets = plans.map((plan, i): VerifyTarget => targetOf(plan, results[i] as ProbeResult))
  const models = configuredModels(config).flatMap(({ setting, model, role }): VerifyModel[] => {
    const target = targets.find((candidate) => candidate.role === role)
    if (!target) return [] // backup_model without backup_provider: refused before (rules.ts)
    const canonical = ADAPTERS[target.provider].canonical ?? ((name: string) => name)
    const listed = target.models?.map(canonical)
    return [{ setting, model, target: role, provider: target.provider, available: listed === undefined ? null : listed.includes(canonical(model)) }]
  })
  const ok = targets.every((target) => target.error === null) && models.every((model) => model.available === true)
  return { ok, targets, models }
}

function targetOf (plan: TargetPlan, result: ProbeResult): VerifyTarget {
  const target: VerifyTarget = { role: plan.role, provider: plan.provider, ...result, key_withheld: plan.withheld }
  if (target.error === 'auth_failed' && plan.withheld !== null) target.detail += ` (${withheldInWords(plan)})`
  return target
}

function withheldInWords ({ withheld, provider, keyOrigin }: TargetPlan): string {
  switch (withheld) {
    case 'other_provider': return `probed without the API key: it belongs to the primary provider and is never sent to ${provider}`
    case 'other_host': return 'probed without the stored API key: it goes only to the stored configuration\'s host' +
      `${keyOrigin ? ` (${keyOrigin})` : ''}; give api_key to probe this host with a key`
    default: return 'no API key is stored or given'
  }
}
