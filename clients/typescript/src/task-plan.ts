// task(name): the seed's settings turned into what a worker needs for one call, so that the
// rules (which switch enables which task, which confidence applies, where the fallback goes)
// are written once here and not in every worker. The table is issue 12's "Task plans".
import { LlmConfigError } from './errors.js'
import type { LlmConfig } from './openapi-types.js'

export const TASK_NAMES = ['tagger', 'enricher', 'analytics', 'responder'] as const
export type TaskName = typeof TASK_NAMES[number]

export type Provider = LlmConfig['provider']

export interface Fallback {
  provider: Provider
  /** backup_model, or the task's own model when none is set. */
  model: string | null
}

export interface TaskPlan {
  task: TaskName
  /** Whether the worker should run this task at all. */
  enabled: boolean
  provider: Provider
  /** null only for the responder while model_responder is not configured. */
  model: string | null
  api_url: string | null
  /**
   * Present only when the client's token may reveal the key (consumer, admin): the key, or
   * null when none is stored. Absent for a reader token or none.
   */
  api_key?: string | null
  max_retries: number
  retry_delay_s: number
  batch_size: number
  concurrent_tasks: number
  cache_responses: boolean
  min_confidence: number | null
  external_allowed: boolean
  /** The configuration version the plan was made from. */
  version: number
  fallback: Fallback | null
}

/** What only the task decides; everything else in a plan is common to the four. */
function taskSpecifics (name: TaskName, config: LlmConfig): Pick<TaskPlan, 'model' | 'enabled' | 'min_confidence' | 'external_allowed'> {
  switch (name) {
    case 'tagger':
      return { model: config.model_tagger, enabled: config.enabled && config.auto_tagging, min_confidence: config.min_confidence_tagging, external_allowed: false }
    case 'enricher':
      return { model: config.model_enricher, enabled: config.enabled && config.auto_enrichment, min_confidence: config.min_confidence_entity, external_allowed: config.external_enrichment }
    case 'analytics':
      return { model: config.model_analytics, enabled: config.enabled, min_confidence: null, external_allowed: false }
    case 'responder':
      return { model: config.model_responder, enabled: config.enabled && config.model_responder !== null, min_confidence: null, external_allowed: false }
  }
}

export function isTaskName (name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name)
}

/** The plan; `apiKey` undefined leaves api_key out (the token may not reveal it). */
export function taskPlan (name: string, config: LlmConfig, apiKey: string | null | undefined): TaskPlan {
  if (!isTaskName(name)) throw new LlmConfigError(`unknown task ${JSON.stringify(name)}: the tasks are ${TASK_NAMES.join(', ')}`)
  const specifics = taskSpecifics(name, config)
  return Object.freeze({
    task: name,
    enabled: specifics.enabled,
    provider: config.provider,
    model: specifics.model,
    api_url: config.api_url,
    ...(apiKey === undefined ? {} : { api_key: apiKey }),
    max_retries: config.max_retries,
    retry_delay_s: config.retry_delay,
    batch_size: config.batch_size,
    concurrent_tasks: config.concurrent_tasks,
    cache_responses: config.cache_responses,
    min_confidence: specifics.min_confidence,
    external_allowed: specifics.external_allowed,
    version: config.version,
    fallback: config.backup_provider === null
      ? null
      : Object.freeze({ provider: config.backup_provider, model: config.backup_model ?? specifics.model })
  })
}
