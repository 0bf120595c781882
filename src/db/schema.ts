// The llm_config table exactly as the original design (an Alembic migration, see
// ../shared/seed-llm-config-migration.md). Property names are the column names, so rows
// read through Drizzle already carry the API's snake_case field names.
// The column defaults here are the single source of default values: the API never repeats them.
import { PROVIDERS } from './providers.js'
import { sql } from 'drizzle-orm'
import { bigint, boolean, check, doublePrecision, index, integer, jsonb, pgTable, serial, timestamp, varchar } from 'drizzle-orm/pg-core'

export const llmConfig = pgTable('llm_config', {
  id: serial('id').primaryKey(),
  provider: varchar('provider', { length: 50, enum: PROVIDERS }).notNull().default('local'),
  // AES-256-GCM ciphertext (llm-config/secrets.ts): 255 characters of key, up to 4 bytes each,
  // plus nonce, tag, base64 and the format's prefix fit in 2048.
  api_key: varchar('api_key', { length: 2048 }),
  // The last characters of the key, kept apart so reads never need to decrypt.
  api_key_hint: varchar('api_key_hint', { length: 16 }),
  api_url: varchar('api_url', { length: 255 }),
  model_tagger: varchar('model_tagger', { length: 100 }).notNull().default('phi3'),
  model_enricher: varchar('model_enricher', { length: 100 }).notNull().default('llama3'),
  model_analytics: varchar('model_analytics', { length: 100 }).notNull().default('llama3'),
  model_responder: varchar('model_responder', { length: 100 }),
  enabled: boolean('enabled').notNull().default(false),
  auto_tagging: boolean('auto_tagging').notNull().default(true),
  auto_enrichment: boolean('auto_enrichment').notNull().default(true),
  external_enrichment: boolean('external_enrichment').notNull().default(false),
  max_retries: integer('max_retries').notNull().default(3),
  retry_delay: integer('retry_delay').notNull().default(300), // seconds
  backup_provider: varchar('backup_provider', { length: 50, enum: PROVIDERS }),
  backup_model: varchar('backup_model', { length: 100 }),
  batch_size: integer('batch_size').notNull().default(5),
  concurrent_tasks: integer('concurrent_tasks').notNull().default(2),
  cache_responses: boolean('cache_responses').notNull().default(true),
  min_confidence_tagging: doublePrecision('min_confidence_tagging').notNull().default(0.7),
  min_confidence_entity: doublePrecision('min_confidence_entity').notNull().default(0.8),
  // With time zone, so the stored instant does not depend on the server's TimeZone setting.
  created_at: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updated_at: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  // Since 0002: one more on every change, and the ETag. Monotonic, so replicas can tell
  // newer from older without comparing contents.
  version: bigint('version', { mode: 'number' }).notNull().default(1),
  // Since 0003: the version that last changed the key (null while none is set), so clients
  // fetch the key again only when it changed (GET /llm-config/credentials).
  api_key_version: bigint('api_key_version', { mode: 'number' })
}, (table) => [
  // Redundant with the primary key's own index, but part of the original schema.
  index('ix_llm_config_id').on(table.id)
])

export type LlmConfigRow = typeof llmConfig.$inferSelect

export const HISTORY_ACTIONS = ['create', 'update', 'reset', 'restore', 'rotate'] as const
export type HistoryAction = typeof HISTORY_ACTIONS[number]

/**
 * One row per version of the configuration, written in the transaction that made it: who,
 * when, what changed (old and new values; for the key only {"changed": true}) and the whole
 * state after the change (the key only as ciphertext), so any version can be shown and restored.
 */
export const llmConfigHistory = pgTable('llm_config_history', {
  version: bigint('version', { mode: 'number' }).primaryKey(),
  changed_at: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  actor: varchar('actor', { length: 100 }).notNull(),
  action: varchar('action', { length: 16, enum: HISTORY_ACTIONS }).notNull(),
  changes: jsonb('changes').$type<Record<string, unknown>>().notNull(),
  snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
  // Since 0003: the version a restore brought back (null for every other action).
  restored_from: bigint('restored_from', { mode: 'number' })
}, (table) => [
  check('llm_config_history_action_check', sql`${table.action} in (${sql.raw(HISTORY_ACTIONS.map((action) => `'${action}'`).join(', '))})`)
])

export type LlmConfigHistoryRow = typeof llmConfigHistory.$inferSelect
