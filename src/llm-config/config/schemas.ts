// TypeBox schemas: the single source of validation, TypeScript types and the OpenAPI document.
// Field names are the original table's column names (snake_case on the wire, as in SQL).
// Defaults are deliberately absent: the database's column defaults are the only source.
import { Type, type Static } from 'typebox'
import { PROVIDERS } from '../../db/providers.js'
import { Nullable } from '../../http/schema.js'

const Provider = (description: string) => Type.Enum(PROVIDERS, { description })
const ModelName = (description: string) => Type.String({ minLength: 1, maxLength: 100, description })
const Confidence = Type.Number({ minimum: 0, maximum: 1 })

// The custom formats (formats.ts) as patterns too, so that tools that know only standard JSON
// Schema (a validating proxy, a generated client) enforce them: a pattern is all they check;
// the service's format checks the rest (the URL parses; the key is not our ciphertext).
/** http-url: http:// or https:// (any case), a host, no whitespace. */
const HTTP_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]\\S*$'
/** api-key: not the masked hint (…WXYZ), not the stored ciphertext (llmcfg:v1:…). */
const API_KEY_PATTERN = '^(?!…|llmcfg:v1:)'

/** The writable settings, in the table's column order (api_key is handled apart: it is write-only). */
const settings = {
  provider: Provider('LLM service provider'),
  api_url: Nullable(Type.String({ format: 'http-url', pattern: HTTP_URL_PATTERN, maxLength: 255, description: 'Custom API endpoint: an absolute http(s) URL' })),
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
  version: 7,
  api_key_version: 6
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
  version: Type.Integer({ minimum: 1, readOnly: true, description: 'Incremented by every change; the ETag is this number' }),
  api_key_version: Nullable(Type.Integer({ minimum: 1 }), {
    readOnly: true, description: 'The version that last set or replaced the API key (null while none is set): fetch /llm-config/credentials again only when it changes'
  })
}

// LlmConfigInput's copies of the read-only fields: accepted and ignored, so a GET body can be
// edited and sent back. Not marked readOnly: with additionalProperties false, a validating
// proxy would then refuse that body (OpenAPI 3.1: a readOnly property SHOULD NOT be sent).
const ignoredOnWrite = Object.fromEntries(Object.entries(readOnly).map(([name, schema]) => {
  const { readOnly: _readOnly, description, ...rest } = schema as unknown as { readOnly?: boolean, description?: string }
  return [name, { ...rest, description: `${description === undefined ? '' : `${description}. `}Read-only: accepted and ignored on writes.` }]
})) as unknown as typeof readOnly

export const LlmConfig = Type.Object({
  id: readOnly.id,
  ...settings,
  api_key_set: readOnly.api_key_set,
  api_key_hint: readOnly.api_key_hint,
  created_at: readOnly.created_at,
  updated_at: readOnly.updated_at,
  version: readOnly.version,
  api_key_version: readOnly.api_key_version
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
    pattern: API_KEY_PATTERN,
    writeOnly: true,
    description: 'A string sets the key, null clears it, absent keeps the stored key. Its masked hint (…WXYZ) or the stored ciphertext are refused.'
  })),
  ...ignoredOnWrite
}), {
  $id: 'LlmConfigInput',
  additionalProperties: false,
  description: 'Settings to write. Read-only fields (id, api_key_set, api_key_hint, created_at, updated_at, version, api_key_version) are accepted and ignored, so a GET body can be sent back.',
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
