// The embedded database outside the service, on the service's data directory (stopped):
//   exec <dataDir> <statements as JSON>   runs them in one transaction (history set-up)
//   idle <dataDir>                        opens it, answers one query, prints `ready …` and
//                                         waits: the RSS of PGlite alone, for comparison
import { PGlite } from '@electric-sql/pglite'
import { EMBEDDED_SHARED_BUFFERS } from '../../dist/db/client.js'

const [command, dataDir, statements] = process.argv.slice(2)
// The service's own settings (src/db/client.ts), so the comparison is with the same database.
const db = await PGlite.create(/** @type {string} */ (dataDir), { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`] })
if (command === 'exec') {
  await db.transaction(async (tx) => {
    for (const statement of JSON.parse(/** @type {string} */ (statements))) await tx.query(statement)
  })
  await db.exec('VACUUM ANALYZE llm_config_history')
  await db.close()
} else {
  const [{ server_version: version }] = /** @type {{ server_version: string }[]} */ ((await db.query('SHOW server_version')).rows)
  console.log(`ready ${version}`)
  const close = () => db.close().finally(() => process.exit(0))
  process.on('SIGTERM', close)
  setInterval(() => {}, 1 << 30)
}
