// Opens the database the configuration names, applies pending migrations before the
// service takes requests, and closes it when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { DatabaseTarget } from '../config.js'
import { openDatabase, type Database } from '../db/client.js'
import { migrateDatabase } from '../db/migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DatabasePluginOptions {
  target: DatabaseTarget
  deadlineMs: number
  /** An already open database (tests start from a migrated snapshot); the app closes it. */
  database?: Database
}

export default fp(async function database (app: FastifyInstance, options: DatabasePluginOptions) {
  const database = options.database ?? await openDatabase(options.target, { deadlineMs: options.deadlineMs })
  try {
    await migrateDatabase(database)
  } catch (error) {
    await database.close()
    throw error
  }
  app.addHook('onClose', () => database.close())
  app.decorate('database', { getter: () => database })
  app.log.info({ database: database.kind === 'postgres' ? 'postgres' : describeEmbedded(options.target) }, 'database ready')
}, { name: 'database' })

function describeEmbedded (target: DatabaseTarget): string {
  return target.kind === 'embedded' && target.dataDir !== null ? `embedded (${target.dataDir})` : 'embedded (in memory)'
}
