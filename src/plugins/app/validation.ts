// Fastify's default Ajv coerces types and silently drops unknown properties. For request
// bodies both would hide client mistakes ("5" is not an integer, a misspelt field is not
// "ignored"), so bodies get a strict Ajv; querystrings, params and headers arrive as strings
// and keep coercion. Shared schemas (addSchema) are added to both, so $refs resolve.
// https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/#validator-compiler
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const common: Options = {
  allErrors: true, // report every offending field at once, not the first
  removeAdditional: false,
  useDefaults: false, // defaults belong to the database, never to validation
  strict: false // OpenAPI keywords such as `example` sit beside JSON Schema ones
}

/** A string format of our own, with the wording validation errors use for it (plugins/app/errors.ts). */
export interface Format { description: string, validate: (value: string) => boolean }
export type Formats = Record<string, Format>

type ExternalSchemas = Record<string, unknown>

/** The schema compiler factory Fastify's schemaController takes, with our formats added. */
export const validatorFactory = (formats: Formats) => function buildValidator (externalSchemas: ExternalSchemas = {}) {
  const make = (options: Options) => {
    const ajv = addFormats(new Ajv({ ...common, ...options }))
    for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format.validate)
    for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema as object)
    return ajv
  }
  const bodies = make({ coerceTypes: false })
  const strings = make({ coerceTypes: 'array' })
  const compile: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema as object)
  return compile
}
