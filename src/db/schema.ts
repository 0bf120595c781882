// The llm_config table exactly as the original design (an Alembic migration, see
// ../shared/seed-llm-config-migration.md). Property names are the column names, so rows
// read through Drizzle already carry the API's snake_case field names.
// The column defaults here are the single source of default values: the API never repeats them.
import { PROVIDERS } from '../llm-config/providers.js'
import { boolean, doublePrecision, index, integer, pgTable, serial, timestamp, varchar } from 'drizzle-orm/pg-core'

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
  updated_at: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (table) => [
  // Redundant with the primary key's own index, but part of the original schema.
  index('ix_llm_config_id').on(table.id)
])

export type LlmConfigRow = typeof llmConfig.$inferSelect
