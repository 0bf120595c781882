// @llm-config/client: a live local copy of llm-config-service's configuration for workers.
export { LlmConfigClient, type ChangeEvent, type ClientEvents, type Status } from './client.js'
export { LlmConfigAuthError, LlmConfigError, LlmConfigResponseError, LlmConfigTimeoutError } from './errors.js'
export type { Fetch } from './http.js'
export { LLM_CONFIG_FIELDS, type LlmConfig } from './openapi-types.js'
export type { LlmConfigClientOptions } from './options.js'
export { TASK_NAMES, type Fallback, type Provider, type TaskName, type TaskPlan } from './task-plan.js'
