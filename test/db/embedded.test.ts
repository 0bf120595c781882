// The embedded database's own settings (src/db/client.ts): the ones PGlite starts with, plus a
// shared_buffers sized for one row and its history (PGlite's memory keeps what PostgreSQL touched).
import t from 'tap'
import { EMBEDDED_SHARED_BUFFERS, openDatabase } from '../../src/db/client.js'

t.test('the embedded database starts with PGlite\'s own parameters and a small shared_buffers', async (t) => {
  const database = await openDatabase({ kind: 'embedded', dataDir: null })
  t.teardown(() => database.close())
  if (database.kind !== 'embedded') throw new Error('expected the embedded database')
  const setting = async (name: string) => ((await database.pglite.query<{ setting: string }>(`select current_setting('${name}') as setting`)).rows[0])?.setting
  t.equal(EMBEDDED_SHARED_BUFFERS, '16MB')
  t.equal(await setting('shared_buffers'), '16MB')
  t.equal(await setting('max_worker_processes'), '0', 'PGlite\'s default start parameters are kept')
  t.equal(await setting('search_path'), 'public')
})
