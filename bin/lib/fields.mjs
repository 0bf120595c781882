// The settings `llm-config set` accepts and how it parses each value. The one table of field
// types in the CLI; test/cli.test.ts checks it against LlmConfigInput (src/llm-config/schemas.ts).
import { CliError, EXIT } from './errors.mjs'

/**
 * Every writable field, in the table's column order: its JSON type, and `|null` when null
 * clears it. Values of string fields are sent as typed; the server checks enums and lengths.
 */
export const FIELDS = {
  provider: 'string',
  api_url: 'string|null',
  model_tagger: 'string',
  model_enricher: 'string',
  model_analytics: 'string',
  model_responder: 'string|null',
  enabled: 'boolean',
  auto_tagging: 'boolean',
  auto_enrichment: 'boolean',
  external_enrichment: 'boolean',
  max_retries: 'integer',
  retry_delay: 'integer',
  backup_provider: 'string|null',
  backup_model: 'string|null',
  batch_size: 'integer',
  concurrent_tasks: 'integer',
  cache_responses: 'boolean',
  min_confidence_tagging: 'number',
  min_confidence_entity: 'number',
  api_key: 'string|null'
}

/** Fields the service shows but ignores on writes: naming one in `set` is a mistake. */
export const READ_ONLY = ['id', 'api_key_set', 'api_key_hint', 'created_at', 'updated_at', 'version', 'api_key_version']

/** Fields whose value is a secret: never echoed in an error message. */
const SECRET = new Set(['api_key'])

const INTEGER = /^-?(0|[1-9]\d*)$/
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/ // JSON's number grammar

/**
 * The JSON value for `field` from its text, by the field's type in FIELDS.
 * Throws a CliError (EXIT.invalid) when the text is not a value of that type.
 */
export function parseValue (field, text) {
  const [type, nullable] = FIELDS[field].split('|')
  if (nullable === 'null' && text === 'null') return null
  const refuse = (what) => {
    const shown = SECRET.has(field) ? '' : ` (got ${JSON.stringify(text)})`
    return new CliError(`invalid value for ${field}: must be ${what}${nullable ? ' or null' : ''}${shown}`, EXIT.invalid)
  }
  switch (type) {
    case 'integer': {
      if (!INTEGER.test(text) || !Number.isSafeInteger(Number(text))) throw refuse('an integer')
      return Number(text)
    }
    case 'number': {
      if (!NUMBER.test(text) || !Number.isFinite(Number(text))) throw refuse('a number')
      return Number(text)
    }
    case 'boolean': {
      if (text !== 'true' && text !== 'false') throw refuse('true or false')
      return text === 'true'
    }
    default:
      return text
  }
}

/**
 * `key=value` arguments → a merge-patch body. Unknown, read-only or repeated keys and a
 * missing `=` are usage errors (EXIT.usage); a value of the wrong type is EXIT.invalid.
 */
export function parseAssignments (args) {
  const body = {}
  for (const arg of args) {
    const equals = arg.indexOf('=')
    if (equals <= 0) throw new CliError(`expected key=value, got ${JSON.stringify(arg.split('=')[0])}${equals === 0 ? '=…' : ''}`, EXIT.usage)
    const key = arg.slice(0, equals)
    if (READ_ONLY.includes(key)) throw new CliError(`${key} is read-only: the service sets it`, EXIT.usage)
    if (!Object.hasOwn(FIELDS, key)) {
      const guess = closest(key)
      throw new CliError(`unknown field ${JSON.stringify(key)}${guess ? ` (did you mean ${guess}?)` : ''}; run "llm-config set --help" for the fields`, EXIT.usage)
    }
    if (Object.hasOwn(body, key)) throw new CliError(`${key} is given twice`, EXIT.usage)
    body[key] = parseValue(key, arg.slice(equals + 1))
  }
  return body
}

/** The field closest to a misspelt name (at most 2 edits away), if any. */
function closest (name) {
  let best
  let bestDistance = 3
  for (const field of Object.keys(FIELDS)) {
    const d = distance(name.toLowerCase(), field)
    if (d < bestDistance) [best, bestDistance] = [field, d]
  }
  return best
}

/** Levenshtein distance. */
function distance (a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

/** The fields and their types, for `set --help`. */
export function describeFields () {
  return Object.entries(FIELDS).map(([name, type]) => `  ${name.padEnd(24)}${type.replace('|', ' or ')}`).join('\n')
}
