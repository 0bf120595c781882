// drizzle-kit (db:generate, db:migrate) against the same database the service would use.
import { defineConfig } from 'drizzle-kit'
import { loadConfig } from './src/config.js'

const { database } = loadConfig()
if (database.kind === 'embedded' && database.dataDir === null) {
  throw new Error('DATABASE_URL=memory:// has nothing to migrate: the service migrates an in-memory database itself at start')
}

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  ...(database.kind === 'postgres'
    ? { dbCredentials: { url: database.url } }
    : { driver: 'pglite', dbCredentials: { url: database.dataDir ?? '' } })
})
