// The report of POST /llm-config/verify. $id'd so the OpenAPI document names them as
// components (VerifyReport, VerifyTarget, VerifyModel); app.ts adds VERIFY_SCHEMAS with addSchema.
import { Type, type Static } from 'typebox'
import { PROVIDERS } from '../../db/providers.js'
import { Nullable, ref } from '../../http/schema.js'

export const ERROR_CLASSES = ['unreachable', 'timeout', 'tls', 'auth_failed', 'rate_limited', 'unexpected_response'] as const
export type ErrorClass = typeof ERROR_CLASSES[number]

// Why a probe went without the key (targets.ts has the rules).
export const KEY_WITHHELD = ['no_key', 'other_host', 'other_provider'] as const
export type KeyWithheld = typeof KEY_WITHHELD[number]

export const TARGET_ROLES = ['primary', 'backup'] as const
export type TargetRole = typeof TARGET_ROLES[number]

export const MODEL_SETTINGS = ['model_tagger', 'model_enricher', 'model_analytics', 'model_responder', 'backup_model'] as const
export type ModelSetting = typeof MODEL_SETTINGS[number]

// The example: LlmConfig's example (OpenAI, a local Ollama as backup) with model_responder: gpt-4o, all well.
const targetExamples = [{
  role: 'primary',
  provider: 'openai',
  url: 'https://api.openai.com/v1/models',
  key_sent: true,
  key_withheld: null,
  reachable: true,
  status: 200,
  latency_ms: 184,
  auth_accepted: true,
  error: null,
  detail: null,
  models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']
}, {
  role: 'backup',
  provider: 'ollama',
  url: 'http://localhost:11434/api/tags',
  key_sent: false,
  key_withheld: 'other_provider',
  reachable: true,
  status: 200,
  latency_ms: 12,
  auth_accepted: true,
  error: null,
  detail: null,
  models: ['llama3:latest', 'phi3:latest']
}]

const modelExamples = [
  { setting: 'model_tagger', model: 'gpt-4o-mini', target: 'primary', provider: 'openai', available: true },
  { setting: 'model_enricher', model: 'gpt-4o', target: 'primary', provider: 'openai', available: true },
  { setting: 'model_analytics', model: 'gpt-4o-mini', target: 'primary', provider: 'openai', available: true },
  { setting: 'model_responder', model: 'gpt-4o', target: 'primary', provider: 'openai', available: true },
  { setting: 'backup_model', model: 'llama3', target: 'backup', provider: 'ollama', available: true }
]

export const VerifyTarget = Type.Object({
  role: Type.Enum(TARGET_ROLES, { description: 'primary: provider (and api_url); backup: backup_provider' }),
  provider: Type.Enum(PROVIDERS),
  url: Nullable(Type.String({ description: 'The URL probed (the provider\'s model list), or null when there is none to probe' })),
  key_sent: Type.Boolean({
    description: 'Whether a request carrying the API key left for this URL (connected, TLS done, request written). False when no key went ' +
      'with the probe (see key_withheld) or when the probe stopped before its request left (a name that does not resolve, a refused ' +
      'private address, a refused connection, a failed TLS handshake: see error)'
  }),
  key_withheld: Nullable(Type.Enum(KEY_WITHHELD, {
    description: 'Why the probe went without a key, or null when the key went with it. no_key: none is stored or given. other_host: ' +
      'the stored key goes only to the stored configuration\'s own host (the origin of its api_url, or its provider\'s default base), ' +
      'and the request names another one; give api_key to probe it with a key. other_provider: a backup of another provider never ' +
      'gets the primary\'s key'
  })),
  reachable: Type.Boolean({ description: 'An HTTP answer came back' }),
  status: Nullable(Type.Integer({ description: 'The HTTP status of the answer' })),
  latency_ms: Nullable(Type.Integer({ minimum: 0, description: 'Time until the answer\'s headers arrived' })),
  auth_accepted: Nullable(Type.Boolean({ description: 'true: the provider answered the listing; false: it refused the credentials; null: not known' })),
  error: Nullable(Type.Enum(ERROR_CLASSES, { description: 'What went wrong, or null' })),
  detail: Nullable(Type.String({ description: 'The error in words' })),
  models: Nullable(Type.Array(Type.String(), { description: 'The models the provider lists, or null when it gave no list' }))
}, { $id: 'VerifyTarget', additionalProperties: false, description: 'One provider endpoint and how it answered', examples: [targetExamples[0]] })
export type VerifyTarget = Static<typeof VerifyTarget>

export const VerifyModel = Type.Object({
  setting: Type.Enum(MODEL_SETTINGS),
  model: Type.String(),
  target: Type.Enum(TARGET_ROLES, { description: 'The target whose list was searched' }),
  provider: Type.Enum(PROVIDERS),
  available: Nullable(Type.Boolean({ description: 'Whether the provider lists the model; null when it gave no list' }))
}, { $id: 'VerifyModel', additionalProperties: false, description: 'One configured model and whether its provider offers it', examples: [modelExamples[0]] })
export type VerifyModel = Static<typeof VerifyModel>

export const VerifyReport = Type.Object({
  ok: Type.Boolean({ description: 'Every target answered without error and lists every configured model' }),
  targets: Type.Array(ref(VerifyTarget)),
  models: Type.Array(ref(VerifyModel))
}, {
  $id: 'VerifyReport',
  additionalProperties: false,
  description: 'What the providers said about the configuration. Nothing was stored.',
  examples: [{ ok: true, targets: targetExamples, models: modelExamples }]
})
export type VerifyReport = Static<typeof VerifyReport>

export const VERIFY_SCHEMAS = [VerifyTarget, VerifyModel, VerifyReport]
