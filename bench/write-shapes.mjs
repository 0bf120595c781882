// node bench/write-shapes.mjs (after npm run build; BENCH_DATABASE_URL as for npm run bench)
//
// Where a PATCH's time goes on the database side, without HTTP or the ORM: the same row
// written by 10 concurrent clients through postgres.js, in transaction shapes from the bare
// UPDATE up to what the service does (lock, update, history row, NOTIFY, one round trip
// each), as write rates and as ratios to the bare UPDATE of the same round. Evidence for
// docs/benchmarks.md; it asserts nothing.
import postgres from 'postgres'
import { createPostgresDatabase } from './lib/database.mjs'
import { median } from './lib/report.mjs'
import { CREATE_BARE_TABLE } from './lib/sql.mjs'

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const ROUNDS = 5
const SECONDS = 2
const CLIENTS = 10

const target = await createPostgresDatabase(adminUrl)
try {
  const { openDatabase } = await import('../dist/db/client.js')
  const { migrateDatabase } = await import('../dist/db/migrate.js')
  const database = await openDatabase({ kind: 'postgres', url: target.url })
  await migrateDatabase(database)
  await database.close()
  await target.exec(CREATE_BARE_TABLE)

  const sql = postgres(target.url, { max: CLIENTS, onnotice: () => {} })
  // As in the service: one replica LISTENs, so every NOTIFY is delivered somewhere.
  const listener = postgres(target.url, { max: 1, onnotice: () => {} })
  await listener.listen('llm_config', () => {})
  const [{ id }] = await sql`SELECT min(id) AS id FROM llm_config`
  const [{ snapshot }] = await sql`SELECT to_jsonb(c)::text AS snapshot FROM llm_config c WHERE id = ${id}`
  const changes = '{"batch_size": {"old": 7, "new": 7}}'
  const update = (table) => sql`UPDATE ${sql(table)} SET batch_size = 7, version = version + 1, updated_at = now() WHERE id = ${id} RETURNING *`
  const oneStatement = (history, notify) => sql`
    WITH updated AS (UPDATE llm_config SET batch_size = 7, version = version + 1, updated_at = now() WHERE id = ${id} RETURNING *),
    recorded AS (INSERT INTO llm_config_history (version, actor, action, changes, snapshot)
      SELECT version, 'bench', 'update', ${changes}::jsonb, to_jsonb(updated) FROM updated WHERE ${history})
    SELECT updated.*, CASE WHEN ${notify} THEN pg_notify('llm_config', version::text) END FROM updated`

  /** [label, what it does, one write] */
  const shapes = [
    ['bare UPDATE', 'autocommit, 1 round trip (the baseline)', () => update('bench_bare_config')],
    ['UPDATE in BEGIN … COMMIT', '3 round trips, the lock held for 2', () => sql.begin((tx) => tx`UPDATE llm_config SET batch_size = 7, version = version + 1, updated_at = now() WHERE id = ${id} RETURNING *`)],
    ['1 statement: UPDATE + history', 'CTE, autocommit', () => oneStatement(true, false)],
    ['1 statement: UPDATE + NOTIFY', 'CTE, autocommit', () => oneStatement(false, true)],
    ['1 statement: UPDATE + history + NOTIFY', 'CTE, autocommit: everything a write must do', () => oneStatement(true, true)],
    ['the service\'s shape', 'BEGIN; SELECT … FOR UPDATE; UPDATE; INSERT history; SELECT pg_notify; COMMIT', () => sql.begin(async (tx) => {
      const [current] = await tx`SELECT * FROM llm_config ORDER BY id LIMIT 1 FOR UPDATE`
      const [after] = await tx`UPDATE llm_config SET batch_size = 7, version = version + 1, updated_at = now() WHERE id = ${current.id} RETURNING *`
      await tx`INSERT INTO llm_config_history (version, actor, action, changes, snapshot)
        VALUES (${after.version}, 'bench', 'update', ${changes}::jsonb, ${snapshot}::jsonb) ON CONFLICT DO NOTHING`
      await tx`SELECT pg_notify('llm_config', ${String(after.version)})`
    })]
  ]
  const rates = shapes.map(() => [])
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, [, , write]] of shapes.entries()) {
      let writes = 0
      const end = performance.now() + SECONDS * 1000
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          await write()
          writes++
        }
      }))
      if (round > 0) rates[i].push(writes / SECONDS) // round 0 warms up
    }
  }
  console.log(`${CLIENTS} clients, ${ROUNDS} rounds of ${SECONDS} s, PostgreSQL ${target.version}\n`)
  console.log('| shape | what | writes/s | ÷ bare UPDATE |\n|---|---|---:|---:|')
  for (const [i, [label, what]] of shapes.entries()) {
    const ratio = median(rates[i].map((rate, round) => rate / rates[0][round]))
    console.log(`| ${label} | ${what} | ${median(rates[i]).toFixed(0)} | ${ratio.toFixed(2)}× |`)
  }
  await sql.end({ timeout: 5 })
  await listener.end({ timeout: 5 })
} finally {
  await target.drop()
}
