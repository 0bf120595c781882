// The settings as the page shows them: in the seed's groups, each with a label and a help
// text. Help texts come from the OpenAPI descriptions; where the document has none yet, the
// fallback here says the same thing in a few words.
import rules from 'virtual:llm-config-rules'
import type { FieldRule } from './schema.js'

export interface Field {
  name: string
  label: string
  help: string
  rule: FieldRule
}

export interface Group { title: string, fields: Field[] }

const LABELS: Record<string, [label: string, fallbackHelp: string, empty?: string]> = {
  provider: ['Provider', 'LLM service provider'],
  api_url: ['API URL', 'Custom API endpoint: an absolute http(s) URL', 'the provider\'s default'],
  api_key: ['API key', 'Sent to the provider with every call; stored encrypted, never shown'],
  model_tagger: ['Tagging model', 'Model for content tagging'],
  model_enricher: ['Enrichment model', 'Model for content enrichment'],
  model_analytics: ['Analytics model', 'Model for analytics'],
  model_responder: ['Response model', 'Model for response generation', 'none'],
  enabled: ['Enabled', 'Master switch for LLM processing'],
  auto_tagging: ['Auto tagging', 'Tag new content automatically'],
  auto_enrichment: ['Auto enrichment', 'Enrich new content automatically'],
  external_enrichment: ['External enrichment', 'Allow enrichment through external APIs'],
  max_retries: ['Max retries', 'Attempts after a failed call, 0–100'],
  retry_delay: ['Retry delay (s)', 'Delay between retries, in seconds'],
  backup_provider: ['Backup provider', 'Fallback provider', 'none'],
  backup_model: ['Backup model', 'Fallback model; needs a backup provider', 'none'],
  batch_size: ['Batch size', 'Items sent to the model per call'],
  concurrent_tasks: ['Concurrent tasks', 'Calls in flight at once'],
  cache_responses: ['Cache responses', 'Reuse answers to identical requests'],
  min_confidence_tagging: ['Min. tagging confidence', 'Tags below this confidence (0–1) are dropped'],
  min_confidence_entity: ['Min. entity confidence', 'Entities below this confidence (0–1) are dropped']
}

const GROUPS: Array<[string, string[]]> = [
  ['Provider', ['provider', 'api_url', 'api_key']],
  ['Models', ['model_tagger', 'model_enricher', 'model_analytics', 'model_responder']],
  ['Processing', ['enabled', 'auto_tagging', 'auto_enrichment', 'external_enrichment']],
  ['Reliability', ['max_retries', 'retry_delay', 'backup_provider', 'backup_model']],
  ['Performance', ['batch_size', 'concurrent_tasks', 'cache_responses']],
  ['Quality', ['min_confidence_tagging', 'min_confidence_entity']]
]

function field (name: string): Field {
  const rule = rules[name]
  if (!rule) throw new Error(`openapi.json has no setting ${name}`)
  const [label, fallback, empty] = LABELS[name] ?? [name, '']
  // The descriptions do not say what an empty (null) value means: the page does.
  // The key's description speaks to API callers (null clears it, …): the page has buttons for that.
  const help = name === 'api_key' ? fallback : (rule.description ?? fallback) + (rule.nullable && empty ? `. Empty: ${empty}` : '')
  return { name, label, help, rule }
}

export const GROUPED: Group[] = GROUPS.map(([title, names]) => ({ title, fields: names.map(field) }))

/** Every setting but the key, which has a field of its own. */
export const SETTINGS: Field[] = GROUPED.flatMap((group) => group.fields).filter((f) => f.name !== 'api_key')

export const RULES = rules
export const labelOf = (name: string): string => LABELS[name]?.[0] ?? name
