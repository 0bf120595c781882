// The embedded database's own settings (src/db/client.ts): the ones PGlite starts with, plus a
// shared_buffers sized for one row and its history (PGlite's memory keeps what PostgreSQL touched),
// and the modes of its files (src/db/permissions.ts).
import { chmod, lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
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

/** Every entry under `folder` whose mode is not 0700 (folders) or 0600 (files), with its mode. */
async function notPrivate (folder: string): Promise<string[]> {
  const found: string[] = []
  const visit = async (path: string) => {
    const stats = await lstat(path)
    const want = stats.isDirectory() ? 0o700 : 0o600
    if (!stats.isSymbolicLink() && (stats.mode & 0o777) !== want) found.push(`${relative(folder, path) || '.'} ${(stats.mode & 0o777).toString(8)}`)
    if (stats.isDirectory()) for (const entry of await readdir(path)) await visit(join(path, entry))
  }
  await visit(folder)
  return found
}

t.test('DATA_DIR is private to the service\'s user: 0700 folders and 0600 files, at creation and on every start', async (t) => {
  const parent = await mkdtemp(join(tmpdir(), 'llm-config-embedded-'))
  t.teardown(() => rm(parent, { recursive: true, force: true }))
  const dataDir = join(parent, 'data')
  const umask = process.umask(0o022) // the usual umask, under which PGlite wrote 0666 files
  t.teardown(() => process.umask(umask))

  const first = await openDatabase({ kind: 'embedded', dataDir })
  if (first.kind !== 'embedded') throw new Error('expected the embedded database')
  t.same(await notPrivate(dataDir), [], 'a new DATA_DIR: every folder 0700, every file 0600 once open')
  await first.pglite.exec('create table grown (n int); insert into grown select generate_series(1, 1000)')
  await first.close()
  t.same(await notPrivate(dataDir), [], 'and after close, files written while it ran included')

  // A DATA_DIR left open by an earlier version: opened up again, it is put right on start.
  await chmod(dataDir, 0o755)
  await chmod(join(dataDir, 'postgresql.conf'), 0o666)
  await writeFile(join(dataDir, 'left-over'), 'x', { mode: 0o644 })
  await chmod(join(dataDir, 'left-over'), 0o644)
  const second = await openDatabase({ kind: 'embedded', dataDir })
  t.teardown(() => second.close())
  t.same(await notPrivate(dataDir), [], 'an existing DATA_DIR is made private on start')
  if (second.kind !== 'embedded') throw new Error('expected the embedded database')
  t.same((await second.pglite.query<{ n: number }>('select count(*)::int as n from grown')).rows, [{ n: 1000 }], 'the data survived')
})
