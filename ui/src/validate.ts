// The API's own rules, checked before sending (bounds, enums, lengths, the URL's form, and
// backup_model needing backup_provider), so a person sees what is wrong beside the field at
// once. The server checks again; its field errors (errors[].pointer) land in the same place.
// Pure: the unit tests call it with the rules read from openapi.json.
import type { Rules } from './schema.js'
import type { Settings, Value } from './draft.js'

export type FieldErrors = Record<string, string>

// As src/llm-config/config/formats.ts (which the browser bundle cannot import: it loads node:crypto): the scheme and // as written, then WHATWG URL parsing.
function isHttpUrl (value: string): boolean {
  if (!/^https?:\/\/[^\s/?#]/i.test(value) || /\s/.test(value)) return false
  try {
    return new URL(value).hostname !== ''
  } catch {
    return false
  }
}

/** What is wrong with one value, in words, or undefined. */
export function problemOf (value: Value, rule: Rules[string] | undefined): string | undefined {
  if (!rule) return undefined
  if (value === null || value === '') return rule.nullable ? undefined : 'Required'
  switch (rule.kind) {
    case 'enum':
      return rule.options?.includes(String(value)) ? undefined : `One of ${rule.options?.join(', ')}`
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'On or off'
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'A number'
      if (rule.kind === 'integer' && !Number.isInteger(value)) return 'A whole number'
      if (rule.minimum !== undefined && value < rule.minimum) return `At least ${rule.minimum}`
      if (rule.maximum !== undefined && value > rule.maximum) return `At most ${rule.maximum}`
      return undefined
    }
    case 'string': {
      const text = String(value)
      if (rule.minLength !== undefined && text.length < rule.minLength) return `At least ${rule.minLength} characters`
      if (rule.maxLength !== undefined && text.length > rule.maxLength) return `At most ${rule.maxLength} characters`
      if (rule.format === 'http-url' && !isHttpUrl(text)) return 'An absolute http(s) URL, such as https://llm.example.com/v1'
      return undefined
    }
  }
}

/** Every field's problem, for the values the page would save (the latest version with the changes over it). */
export function validate (values: Settings, rules: Rules, fields: string[]): FieldErrors {
  const errors: FieldErrors = {}
  for (const field of fields) {
    const problem = problemOf(values[field] ?? null, rules[field])
    if (problem) errors[field] = problem
  }
  // The cross-field rule of src/llm-config rules (422 from the API).
  if (values.backup_model !== null && values.backup_model !== undefined && values.backup_model !== '' &&
    (values.backup_provider === null || values.backup_provider === undefined || values.backup_provider === '')) {
    errors.backup_model ??= 'Needs a backup provider'
  }
  return errors
}

interface Problem { status?: number, detail?: string, errors?: Array<{ pointer?: string, field?: string, detail?: string }> }

/** The server's field errors (RFC 9457 problem, errors[].pointer "#/batch_size") by field name. */
export function fieldErrorsOf (problem: Problem | undefined): FieldErrors {
  const errors: FieldErrors = {}
  for (const error of problem?.errors ?? []) {
    const field = error.pointer?.replace(/^#?\//, '').split('/')[0] || error.field
    if (field) errors[field] ??= error.detail ?? 'Refused'
  }
  return errors
}
