// drizzle's own bookkeeping table (drizzle.__drizzle_migrations), declared so that readiness
// checks and db:rollback can query it through Drizzle on both drivers. Kept out of schema.ts
// so that drizzle-kit never generates a migration for it.
import { bigint, pgSchema, serial, text } from 'drizzle-orm/pg-core'

export const drizzleMigrations = pgSchema('drizzle').table('__drizzle_migrations', {
  id: serial('id').primaryKey(),
  hash: text('hash').notNull(),
  created_at: bigint('created_at', { mode: 'number' })
})
