// The settings' rules as the API states them: read at build time from the OpenAPI document
// (openapi.json, LlmConfigInput) by vite.config.ts, so bounds, enums, lengths and help texts
// have one source, the service's own schemas. Pure: the unit tests read the same document.

export type Kind = 'enum' | 'string' | 'integer' | 'number' | 'boolean'

export interface FieldRule {
  kind: Kind
  /** null is a valid value (the field can be cleared). */
  nullable: boolean
  options?: string[]
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  format?: string
  description?: string
}

export type Rules = Record<string, FieldRule>

interface JsonSchema {
  type?: string
  enum?: string[]
  anyOf?: JsonSchema[]
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  format?: string
  description?: string
  readOnly?: boolean
  properties?: Record<string, JsonSchema>
}

/** One property of LlmConfigInput, its `anyOf [X, null]` folded into `nullable`. */
export function ruleOf (schema: JsonSchema): FieldRule {
  const branches = schema.anyOf ?? [schema]
  const value = branches.find((branch) => branch.type !== 'null') ?? {}
  const kind: Kind = value.enum ? 'enum' : (value.type as Kind)
  const rule: FieldRule = { kind, nullable: branches.some((branch) => branch.type === 'null') }
  if (value.enum) rule.options = value.enum
  for (const key of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) {
    if (value[key] !== undefined) rule[key] = value[key]
  }
  if (value.format) rule.format = value.format
  const description = value.description ?? schema.description
  if (description) rule.description = description
  return rule
}

/** The writable settings of the document's LlmConfigInput (read-only fields left out). */
export function rulesOf (openapi: { components: { schemas: Record<string, JsonSchema> } }): Rules {
  const input = openapi.components.schemas.LlmConfigInput
  if (!input?.properties) throw new Error('openapi.json has no LlmConfigInput schema')
  const served = openapi.components.schemas.LlmConfig
  const rules: Rules = {}
  for (const [name, schema] of Object.entries(input.properties)) {
    // LlmConfigInput accepts the read-only fields (and ignores them); LlmConfig marks them.
    if (!schema.readOnly && !served?.properties?.[name]?.readOnly) rules[name] = ruleOf(schema)
  }
  return rules
}
