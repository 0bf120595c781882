// TypeBox schemas: the single source of validation, TypeScript types and the OpenAPI document.
// Field names are the original table's column names (snake_case on the wire, as in SQL).
// Defaults are deliberately absent: the database's column defaults are the only source.
import { Type, type Static, type TSchema, type TSchemaOptions } from 'typebox'
import { PROBLEM_TYPES } from '../plugins/errors.js'
import { PROVIDERS } from './providers.js'

const Nullable = <T extends TSchema>(schema: T, options?: TSchemaOptions) => Type.Union([schema, Type.Null()], options)

const Provider = (description: string) => Type.Enum(PROVIDERS, { description })
const ModelName = (description: string) => Type.String({ minLength: 1, maxLength: 100, description })
const Confidence = Type.Number({ minimum: 0, maximum: 1 })

/** The writable settings, in the table's column order (api_key is handled apart: it is write-only). */
const settings = {
  provider: Provider('LLM service provider'),
  api_url: Nullable(Type.String({ format: 'http-url', maxLength: 255, description: 'Custom API endpoint: an absolute http(s) URL' })),
  model_tagger: ModelName('Model for content tagging'),
  model_enricher: ModelName('Model for content enrichment'),
  model_analytics: ModelName('Model for analytics'),
  model_responder: Nullable(ModelName('Model for response generation')),
  enabled: Type.Boolean({ description: 'Master switch for LLM processing' }),
  auto_tagging: Type.Boolean(),
  auto_enrichment: Type.Boolean(),
  external_enrichment: Type.Boolean({ description: 'Allow enrichment through external APIs' }),
  max_retries: Type.Integer({ minimum: 0, maximum: 100 }),
  retry_delay: Type.Integer({ minimum: 0, maximum: 86400, description: 'Delay between retries, in seconds' }),
  backup_provider: Nullable(Provider('Fallback provider')),
  backup_model: Nullable(ModelName('Fallback model; needs backup_provider')),
  batch_size: Type.Integer({ minimum: 1, maximum: 10000 }),
  concurrent_tasks: Type.Integer({ minimum: 1, maximum: 1024 }),
  cache_responses: Type.Boolean(),
  min_confidence_tagging: Confidence,
  min_confidence_entity: Confidence
}

// The examples tell one story, so Swagger UI's "Try it out" starts from something sensible: the
// API key was stored at version 6, then LlmConfigInput's example (by PUT or PATCH: the same
// result) switched to OpenAI with a local Ollama as backup, making version 7.
// test/openapi.test.ts checks every example against its schema.
/** Not a real key: only the shape of one (its hint is …WXYZ). */
const EXAMPLE_API_KEY = 'sk-example-0000000000000000WXYZ'

const inputExample = {
  provider: 'openai',
  model_tagger: 'gpt-4o-mini',
  model_enricher: 'gpt-4o',
  model_analytics: 'gpt-4o-mini',
  enabled: true,
  backup_provider: 'ollama',
  backup_model: 'llama3',
  batch_size: 20
}

/** As GET /llm-config answers it. */
export const CONFIG_EXAMPLE = {
  id: 1,
  provider: 'openai',
  api_url: null,
  model_tagger: 'gpt-4o-mini',
  model_enricher: 'gpt-4o',
  model_analytics: 'gpt-4o-mini',
  model_responder: null,
  enabled: true,
  auto_tagging: true,
  auto_enrichment: true,
  external_enrichment: false,
  max_retries: 3,
  retry_delay: 300,
  backup_provider: 'ollama',
  backup_model: 'llama3',
  batch_size: 20,
  concurrent_tasks: 2,
  cache_responses: true,
  min_confidence_tagging: 0.7,
  min_confidence_entity: 0.8,
  api_key_set: true,
  api_key_hint: '…WXYZ',
  created_at: '2025-01-15T09:30:00.000Z',
  updated_at: '2025-03-02T14:05:12.000Z',
  version: 7
}

const historyExamples = [{
  version: 7,
  changed_at: '2025-03-02T14:05:12.000Z',
  actor: 'admin',
  action: 'update',
  changes: {
    provider: { old: 'local', new: 'openai' },
    model_tagger: { old: 'phi3', new: 'gpt-4o-mini' },
    model_enricher: { old: 'llama3', new: 'gpt-4o' },
    model_analytics: { old: 'llama3', new: 'gpt-4o-mini' },
    enabled: { old: false, new: true },
    backup_provider: { old: null, new: 'ollama' },
    backup_model: { old: null, new: 'llama3' },
    batch_size: { old: 5, new: 20 }
  }
}, { version: 6, changed_at: '2025-03-02T13:58:40.000Z', actor: 'admin', action: 'update', changes: { api_key: { changed: true } } }]

export type SettingName = keyof typeof settings
export const SETTING_NAMES = Object.keys(settings) as SettingName[]

const readOnly = {
  id: Type.Integer({ readOnly: true }),
  api_key_set: Type.Boolean({ readOnly: true, description: 'Whether an API key is stored (the key itself is never returned)' }),
  api_key_hint: Nullable(Type.String({ maxLength: 16 }), {
    readOnly: true, description: 'The last 4 characters of the stored key (…WXYZ; … alone for keys under 12 characters), or null', examples: ['…WXYZ']
  }),
  created_at: Type.String({ format: 'date-time', readOnly: true }),
  updated_at: Type.String({ format: 'date-time', readOnly: true }),
  version: Type.Integer({ minimum: 1, readOnly: true, description: 'Incremented by every change; the ETag is this number' })
}

export const LlmConfig = Type.Object({
  id: readOnly.id,
  ...settings,
  api_key_set: readOnly.api_key_set,
  api_key_hint: readOnly.api_key_hint,
  created_at: readOnly.created_at,
  updated_at: readOnly.updated_at,
  version: readOnly.version
}, {
  $id: 'LlmConfig',
  additionalProperties: false,
  description: 'The stored LLM configuration. The API key is never returned: api_key_set tells whether one is stored.',
  examples: [CONFIG_EXAMPLE]
})
export type LlmConfig = Static<typeof LlmConfig>

export const LlmConfigInput = Type.Partial(Type.Object({
  ...settings,
  api_key: Nullable(Type.String({
    minLength: 1,
    maxLength: 255,
    format: 'api-key',
    writeOnly: true,
    description: 'A string sets the key, null clears it, absent keeps the stored key. Its masked hint (…WXYZ) or the stored ciphertext are refused.'
  })),
  ...readOnly
}), {
  $id: 'LlmConfigInput',
  additionalProperties: false,
  description: 'Settings to write. Read-only fields (id, api_key_set, api_key_hint, created_at, updated_at, version) are accepted and ignored, so a GET body can be sent back.',
  examples: [inputExample]
})
export type LlmConfigInput = Static<typeof LlmConfigInput>

export const Credentials = Type.Object({
  api_key: Type.Union([Type.String(), Type.Null()], { description: 'The plaintext API key, or null when none is stored' })
}, {
  $id: 'Credentials',
  additionalProperties: false,
  description: 'The provider credentials, for the workers that call the provider',
  examples: [{ api_key: EXAMPLE_API_KEY }]
})
export type Credentials = Static<typeof Credentials>

const Change = Type.Union([
  Type.Object({ old: Type.Unknown(), new: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ changed: Type.Literal(true) }, { additionalProperties: false, description: 'The API key changed (its values are never recorded here)' })
])

export const HistoryEntry = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  changed_at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'The token\'s name, or anonymous / system' }),
  action: Type.Enum(['create', 'update', 'reset', 'restore', 'rotate']),
  changes: Type.Record(Type.String(), Change, { description: 'Changed fields with their old and new values; api_key only as {"changed": true}' })
}, { $id: 'HistoryEntry', additionalProperties: false, description: 'The record of one change', examples: [historyExamples[0]] })
export type HistoryEntry = Static<typeof HistoryEntry>

export const HistoryPage = Type.Object({
  items: Type.Array(ref(HistoryEntry), { description: 'Newest first' }),
  next: Type.Union([Type.String(), Type.Null()], { description: 'The next (older) page, or null at the end' })
}, {
  $id: 'HistoryPage',
  additionalProperties: false,
  description: 'One page of the history, newest first',
  examples: [{ items: historyExamples, next: '/llm-config/history?limit=2&before=6' }]
})

export const HistoryVersion = Type.Object({
  change: ref(HistoryEntry),
  state: ref(LlmConfig)
}, {
  $id: 'HistoryVersion',
  additionalProperties: false,
  description: 'A version\'s full state (without the key) and its change record',
  examples: [{ change: historyExamples[0], state: CONFIG_EXAMPLE }]
})

export const RestoreRequest = Type.Object({
  version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The version whose state becomes the configuration again (a new version)' })
}, { $id: 'RestoreRequest', additionalProperties: false, description: 'Which version to restore', examples: [{ version: 6 }] })

const FieldError = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer (RFC 6901) to the offending member of the body', examples: ['#/batch_size'] }),
  field: Type.String({ description: 'The offending field', examples: ['batch_size'] }),
  detail: Type.String({ examples: ['must be <= 10000'] })
}, { additionalProperties: false })

const invalidBodyExample = {
  type: PROBLEM_TYPES.validation,
  title: 'Invalid request',
  status: 400,
  detail: 'The request body does not match its schema.',
  errors: [{ pointer: '#/batch_size', field: 'batch_size', detail: 'must be <= 10000' }]
}

/** RFC 9457 problem details: https://www.rfc-editor.org/rfc/rfc9457 */
export const Problem = Type.Object({
  type: Type.String({ description: 'A URI identifying the kind of problem' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(FieldError, { description: 'The offending fields, for validation errors' }))
}, { $id: 'Problem', description: 'RFC 9457 problem details', examples: [invalidBodyExample] })
export type Problem = Static<typeof Problem>

/** Problems as the service answers them (plugins/errors.ts, plugins/auth.ts, write-result.ts), for the document. */
export const PROBLEM_EXAMPLES = {
  invalidBody: invalidBodyExample,
  unauthorized: { type: PROBLEM_TYPES.unauthorized, title: 'Unauthorized', status: 401, detail: 'This request needs an Authorization: Bearer <token> header.' },
  forbidden: (access: 'read' | 'write' | 'reveal') => ({
    type: PROBLEM_TYPES.forbidden, title: 'Forbidden', status: 403, detail: `The token "dashboard" (reader) may not ${access} the configuration.`
  }),
  precondition: {
    type: PROBLEM_TYPES.precondition,
    title: 'Precondition Failed',
    status: 412,
    detail: 'The configuration changed since the ETag in If-Match was read; read it again and retry.'
  },
  unsupportedMediaType: { type: 'about:blank', title: 'Unsupported Media Type', status: 415, detail: 'Unsupported Media Type' },
  ruleViolation: {
    type: PROBLEM_TYPES.rule,
    title: 'Invalid configuration',
    status: 422,
    detail: 'backup_model needs a backup_provider',
    errors: [{ pointer: '#/backup_model', field: 'backup_model', detail: 'backup_model needs a backup_provider' }]
  },
  authFailures: { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Too many failed authentications from this address; retry later.' },
  rateLimited: { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Rate limit exceeded, retry in 1 minute' },
  internal: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'The request could not be completed; the error has been logged.' },
  keyUnavailable: {
    type: PROBLEM_TYPES.secretUnavailable,
    title: 'API key unavailable',
    status: 500,
    detail: 'The stored API key was encrypted with key id 3q2-7wAB, which is neither ENCRYPTION_KEY (Zm9vYmFy) nor in ENCRYPTION_KEYS_OLD.'
  },
  databaseUnavailable: { type: PROBLEM_TYPES.databaseUnavailable, title: 'Service Unavailable', status: 503, detail: 'The database did not answer in time. Retry shortly.' }
} satisfies Record<string, Problem | ((...args: never[]) => Problem)>

/** A response documented (and serialised) as application/problem+json, with an example of what it says. */
export function problemResponse (description: string, example: Problem) {
  return { description, content: { 'application/problem+json': { schema: ref(Problem), example } } }
}

/** A reference to a shared schema that keeps the referenced schema's static type. */
export function ref<T extends TSchema & { $id?: string }> (schema: T) {
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id ?? ''))
}
