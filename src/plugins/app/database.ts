// Opens the database the configuration names, applies pending migrations before the
// service takes requests, reports its work in flight for /metrics, and closes it when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { DatabaseTarget } from '../../config.js'
import { Gauge, type GaugeConfiguration } from 'prom-client'
import { POOL_MAX, openDatabase, type Database } from '../../db/client.js'
import { databaseWorkInFlight } from '../../db/deadline.js'
import { migrateDatabase } from '../../db/migrate.js'

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
  const gauge = (configuration: GaugeConfiguration<string>) => new Gauge({ ...configuration, registers: [app.metricsRegistry] })
  gauge({
    name: 'llm_config_db_work_in_flight',
    help: 'Database operations under way (the query pool holds at most db_pool_max connections)',
    collect () { this.set(databaseWorkInFlight()) }
  })
  gauge({
    name: 'llm_config_db_pool_max',
    help: 'Connections the query pool may open (PostgreSQL); 1 for the embedded database',
    collect () { this.set(database.kind === 'postgres' ? POOL_MAX : 1) }
  })
  app.log.info({ database: database.kind === 'postgres' ? 'postgres' : describeEmbedded(options.target) }, 'database ready')
}, { name: 'database', dependencies: ['metrics'] })

function describeEmbedded (target: DatabaseTarget): string {
  return target.kind === 'embedded' && target.dataDir !== null ? `embedded (${target.dataDir})` : 'embedded (in memory)'
}
