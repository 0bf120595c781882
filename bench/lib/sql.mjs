// SQL shared by the baseline servers and the harness.

/** The public columns of the configuration, as GET /llm-config shows them (the key only as api_key_set and its hint). */
export const PUBLIC_COLUMNS = `id, provider, api_url, model_tagger, model_enricher, model_analytics, model_responder,
  enabled, auto_tagging, auto_enrichment, external_enrichment, max_retries, retry_delay, backup_provider, backup_model,
  batch_size, concurrent_tasks, cache_responses, min_confidence_tagging, min_confidence_entity,
  api_key IS NOT NULL AS api_key_set, CASE WHEN api_key IS NULL THEN NULL ELSE api_key_hint END AS api_key_hint,
  created_at, updated_at, version::integer AS version, api_key_version::integer AS api_key_version`

/** The table the bare UPDATE baseline writes: a copy of llm_config, so the service's row and history stay its own. */
export const BARE_TABLE = 'bench_bare_config'

export const CREATE_BARE_TABLE = [
  `DROP TABLE IF EXISTS ${BARE_TABLE}`,
  `CREATE TABLE ${BARE_TABLE} (LIKE llm_config INCLUDING ALL)`,
  `INSERT INTO ${BARE_TABLE} SELECT * FROM llm_config`
]

/**
 * Statements (one transaction) that leave exactly `rows` history rows: versions up to the
 * current one, as if the configuration had been written `rows` times. The version moves on
 * by `rows` first, so every row is in the past and the next write's version is new; the
 * NOTIFY tells a running service, which re-reads the row (plugins/propagation.ts).
 * @param {number} rows at least 1: the current version's own row
 */
export function resetHistory (rows) {
  const first = '(SELECT min(id) FROM llm_config)'
  return [
    // Locks in the order a write of the service takes them (its one statement opens the
    // history table, then locks the row): a write still finishing from the last load then
    // makes this wait, not deadlock.
    'LOCK TABLE llm_config_history IN ACCESS EXCLUSIVE MODE',
    'SELECT id FROM llm_config ORDER BY id LIMIT 1 FOR UPDATE',
    'TRUNCATE llm_config_history',
    `UPDATE llm_config SET version = version + ${rows} WHERE id = ${first}`,
    `INSERT INTO llm_config_history (version, changed_at, actor, action, changes, snapshot)
      SELECT c.version - g, now() - g * interval '1 second', 'bench', 'update',
        '{"batch_size": {"old": 5, "new": 7}}'::jsonb, to_jsonb(c) || jsonb_build_object('version', c.version - g)
      FROM llm_config c, generate_series(0, ${rows - 1}) g WHERE c.id = ${first}`,
    `SELECT pg_notify('llm_config', version::text) FROM llm_config WHERE id = ${first}`
  ]
}
