// Where the bench's data lives. On PostgreSQL: a database of its own, created on the server
// that BENCH_DATABASE_URL names and dropped at the end. Embedded: data directories under a
// temporary directory, removed at the end.
import postgres from 'postgres'

/**
 * @typedef {object} PostgresTarget
 * @property {'postgres'} kind
 * @property {string} url        the bench database
 * @property {string} version    the server's version
 * @property {(statements: string[]) => Promise<void>} exec  one transaction
 * @property {(statement: string) => Promise<void>} run  one statement, no transaction
 * @property {() => Promise<void>} drop
 */

/**
 * @param {string} adminUrl a database on the server where CREATE DATABASE may run
 * @returns {Promise<PostgresTarget>}
 */
export async function createPostgresDatabase (adminUrl) {
  const name = `llm_config_bench_${process.pid}_${Date.now().toString(36)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  const [{ server_version: version }] = await admin`SHOW server_version`
  await admin.unsafe(`CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const bench = postgres(url.href, { max: 1, onnotice: () => {} })
  return {
    kind: 'postgres',
    url: url.href,
    version,
    /** One statement outside a transaction (VACUUM cannot run inside one). */
    async run (statement) {
      await bench.unsafe(statement)
    },
    async exec (statements) {
      await bench.begin(async (tx) => {
        for (const statement of statements) await tx.unsafe(statement)
      })
    },
    async drop () {
      await bench.end({ timeout: 5 })
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) // PostgreSQL 13+
      } catch {
        await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`)
      }
      await admin.end({ timeout: 5 })
    }
  }
}

/**
 * After a bulk set-up step: vacuum and analyze the history now (autovacuum would otherwise do
 * it during the next measurement) and write a checkpoint, so that the WAL it left is not
 * flushed then either.
 */
export async function settle (target) {
  if (target.kind !== 'postgres') return
  await target.run('VACUUM ANALYZE llm_config_history')
  try {
    await target.run('CHECKPOINT')
  } catch {} // needs superuser or pg_checkpoint: without it, checkpoints are left to chance
}
