// The naive peer and the write baseline, through the service's drivers: Fastify with
// GET /llm-config = one SELECT per request (what most implementations of this service do),
// PATCH /llm-config = one bare UPDATE … RETURNING (no validation, history, lock or NOTIFY).
// On PostgreSQL (BENCH_DATABASE_URL) through postgres.js; otherwise on an embedded database
// of its own (PGlite in BENCH_DATA_DIR), as the service would be.
import Fastify from 'fastify'
import { LlmConfig } from '../../dist/llm-config/config/schemas.js'
import { FORMATS } from '../../dist/llm-config/config/formats.js'
import { BARE_TABLE, CREATE_BARE_TABLE, PUBLIC_COLUMNS } from '../lib/sql.mjs'

/** @type {(text: string, params: unknown[]) => Promise<Record<string, unknown>[]>} */
let query
if (process.env.BENCH_DATABASE_URL) {
  const { default: postgres } = await import('postgres')
  // The service's pool size; postgres.js prepares every statement (prepare: true).
  const sql = postgres(process.env.BENCH_DATABASE_URL, { max: 10, onnotice: () => {} })
  query = (text, params) => sql.unsafe(text, /** @type {never} */ (params), { prepare: true })
} else {
  const { openDatabase } = await import('../../dist/db/client.js')
  const { migrateDatabase } = await import('../../dist/db/migrate.js')
  const database = await openDatabase({ kind: 'embedded', dataDir: /** @type {string} */ (process.env.BENCH_DATA_DIR) })
  await migrateDatabase(database)
  const { pglite } = /** @type {{ pglite: import('@electric-sql/pglite').PGlite }} */ (database)
  for (const statement of CREATE_BARE_TABLE) await pglite.query(statement)
  query = async (text, params) => (await pglite.query(text, params)).rows
}

const [{ id }] = await query('SELECT min(id) AS id FROM llm_config', [])
const formats = Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, format.validate]))
const app = Fastify({ serializerOpts: { ajv: { formats } } })
const response = { response: { 200: LlmConfig } }

app.get('/llm-config', { schema: response }, async () => {
  const [row] = await query(`SELECT ${PUBLIC_COLUMNS} FROM llm_config WHERE id = $1`, [id])
  return row
})

app.patch('/llm-config', { schema: response }, async (request) => {
  const { batch_size: batchSize } = /** @type {{ batch_size: number }} */ (request.body)
  const [row] = await query(`UPDATE ${BARE_TABLE} SET batch_size = $1, version = version + 1, updated_at = now()
    WHERE id = $2 RETURNING ${PUBLIC_COLUMNS}`, [batchSize, id])
  return row
})

await app.listen({ port: Number(process.env.PORT), host: process.env.HOST })
