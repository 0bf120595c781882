// TypeBox schemas: the single source of validation, TypeScript types and the OpenAPI document.
// Field names are the original table's column names (snake_case on the wire, as in SQL).
// Defaults are deliberately absent: the database's column defaults are the only source.
import { Type, type Static, type TSchema, type TSchemaOptions } from 'typebox'
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
  description: 'The stored LLM configuration. The API key is never returned: api_key_set tells whether one is stored.'
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
  description: 'Settings to write. Read-only fields (id, api_key_set, api_key_hint, created_at, updated_at, version) are accepted and ignored, so a GET body can be sent back.'
})
export type LlmConfigInput = Static<typeof LlmConfigInput>

export const Credentials = Type.Object({
  api_key: Type.Union([Type.String(), Type.Null()], { description: 'The plaintext API key, or null when none is stored' })
}, { $id: 'Credentials', additionalProperties: false, description: 'The provider credentials, for the workers that call the provider' })
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
}, { $id: 'HistoryEntry', additionalProperties: false, description: 'The record of one change' })
export type HistoryEntry = Static<typeof HistoryEntry>

export const HistoryPage = Type.Object({
  items: Type.Array(ref(HistoryEntry), { description: 'Newest first' }),
  next: Type.Union([Type.String(), Type.Null()], { description: 'The next (older) page, or null at the end' })
}, { $id: 'HistoryPage', additionalProperties: false })

export const HistoryVersion = Type.Object({
  change: ref(HistoryEntry),
  state: ref(LlmConfig)
}, { $id: 'HistoryVersion', additionalProperties: false, description: 'A version\'s full state (without the key) and its change record' })

export const RestoreRequest = Type.Object({
  version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The version whose state becomes the configuration again (a new version)' })
}, { $id: 'RestoreRequest', additionalProperties: false })

const FieldError = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer (RFC 6901) to the offending member of the body', examples: ['#/batch_size'] }),
  field: Type.String({ description: 'The offending field', examples: ['batch_size'] }),
  detail: Type.String({ examples: ['must be <= 10000'] })
}, { additionalProperties: false })

/** RFC 9457 problem details: https://www.rfc-editor.org/rfc/rfc9457 */
export const Problem = Type.Object({
  type: Type.String({ description: 'A URI identifying the kind of problem' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(FieldError, { description: 'The offending fields, for validation errors' }))
}, { $id: 'Problem', description: 'RFC 9457 problem details' })
export type Problem = Static<typeof Problem>

/** A response documented (and serialised) as application/problem+json. */
export function problemResponse (description: string) {
  return { description, content: { 'application/problem+json': { schema: ref(Problem) } } }
}

/** A reference to a shared schema that keeps the referenced schema's static type. */
export function ref<T extends TSchema & { $id?: string }> (schema: T) {
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id ?? ''))
}
