// The history's schemas: one change record, a page of them, one version's state, a restore request.
import { Type, type Static } from 'typebox'
import { HISTORY_ACTIONS } from '../../db/schema.js'
import { ref } from '../../http/schema.js'
import { CONFIG_EXAMPLE, LlmConfig } from '../config/schemas.js'

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
  },
  restored_from: null
}, { version: 6, changed_at: '2025-03-02T13:58:40.000Z', actor: 'admin', action: 'update', changes: { api_key: { changed: true } }, restored_from: null }]

const Change = Type.Union([
  Type.Object({ old: Type.Unknown(), new: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ changed: Type.Literal(true) }, { additionalProperties: false, description: 'The API key changed (its values are never recorded here)' })
])

export const HistoryEntry = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  changed_at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'The token\'s name, or anonymous / system' }),
  action: Type.Enum(HISTORY_ACTIONS),
  changes: Type.Record(Type.String(), Change, { description: 'Changed fields with their old and new values; api_key only as {"changed": true}' }),
  restored_from: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'For a restore, the version it brought back; else null' })
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
  version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The version whose state becomes the configuration again (a new version)' }),
  restore_api_key: Type.Optional(Type.Boolean({
    description: 'Bring back that version\'s API key too. By default the current key stays: the old one may have been revoked since'
  }))
}, { $id: 'RestoreRequest', additionalProperties: false, description: 'Which version to restore', examples: [{ version: 6 }] })
