// Fastify's default Ajv coerces types and silently drops unknown properties. For request
// bodies both would hide client mistakes ("5" is not an integer, a misspelt field is not
// "ignored"), so bodies get a strict Ajv; querystrings, params and headers arrive as strings
// and keep coercion. Shared schemas (addSchema) are added to both, so $refs resolve.
// https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/#validator-compiler
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { HINT_PREFIX, looksLikeCiphertext } from '../llm-config/secrets.js'

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const common: Options = {
  allErrors: true, // report every offending field at once, not the first
  removeAdditional: false,
  useDefaults: false, // defaults belong to the database, never to validation
  strict: false // OpenAPI keywords such as `example` sit beside JSON Schema ones
}

/** Formats of our own, with the wording validation errors use for them. */
export const FORMATS: Record<string, { description: string, validate: (value: string) => boolean }> = {
  'http-url': { description: 'an absolute http(s) URL', validate: isHttpUrl },
  // A masked hint or our own ciphertext sent back as the key would overwrite the real key.
  'api-key': {
    description: 'the API key itself, not its masked hint (…) or the stored ciphertext (llmcfg:v1:…)',
    validate: (value) => !value.startsWith(HINT_PREFIX) && !looksLikeCiphertext(value)
  },
  'date-time': { description: 'an RFC 3339 date-time', validate: (value) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value) }
}

function isHttpUrl (value: string): boolean {
  // WHATWG URL parsing forgives a lot ("http:example.com"); require the scheme and // as written.
  if (!/^https?:\/\/[^\s/?#]/i.test(value) || /\s/.test(value)) return false
  try {
    return new URL(value).hostname !== ''
  } catch {
    return false
  }
}

type ExternalSchemas = Record<string, unknown>

export function buildValidator (externalSchemas: ExternalSchemas = {}) {
  const make = (options: Options) => {
    const ajv = addFormats(new Ajv({ ...common, ...options }))
    for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format.validate)
    for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema as object)
    return ajv
  }
  const bodies = make({ coerceTypes: false })
  const strings = make({ coerceTypes: 'array' })
  const compile: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema as object)
  return compile
}
