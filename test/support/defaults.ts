// The spec's defaults of llm_config in one place: as stored (a row created from the column
// defaults alone) and, derived from it, as the API shows them.

/** Values of a row created from the column defaults alone (id and timestamps aside). */
export const defaultRow = {
  provider: 'local',
  api_key: null,
  api_key_hint: null,
  version: 1,
  api_key_version: null,
  api_url: null,
  model_tagger: 'phi3',
  model_enricher: 'llama3',
  model_analytics: 'llama3',
  model_responder: null,
  enabled: false,
  auto_tagging: true,
  auto_enrichment: true,
  external_enrichment: false,
  max_retries: 3,
  retry_delay: 300,
  backup_provider: null,
  backup_model: null,
  batch_size: 5,
  concurrent_tasks: 2,
  cache_responses: true,
  min_confidence_tagging: 0.7,
  min_confidence_entity: 0.8
}

const { api_key: defaultApiKey, version: _version, ...defaultSettings } = defaultRow

/**
 * The default settings as GET /llm-config shows them (id, version and timestamps aside): every
 * column under its seed name, the key itself replaced by api_key_set.
 */
export const defaultApiSettings = { ...defaultSettings, api_key_set: defaultApiKey !== null }
