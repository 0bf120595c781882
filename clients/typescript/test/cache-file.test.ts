// The last-known-good file against the real service: written at every version, atomically
// (temporary file + rename: a new inode each time, no temporary left), mode 0600, without the
// key unless cacheApiKey; and a client that starts while the service is down becomes ready
// from it, stale, then live once the service answers.
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LlmConfigClient } from '../src/index.js'
import { CONSUMER_TOKEN, patch, service } from './support/service.js'
import { nextChange, until, untilStatus } from './support/wait.js'

const KEY = 'sk-cache-test-key-000011112222'

t.test('cache file: atomic writes, 0600, no key unless asked; ready from it while the service is down', async (t) => {
  const svc = await service(t)
  const dir = await mkdtemp(join(tmpdir(), 'llm-config-client-cache-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const cacheFile = join(dir, 'nested', 'llm-config.json')
  const withKeyFile = join(dir, 'with-key.json')
  await patch(svc.url, { api_key: KEY, batch_size: 7 })

  const writer = new LlmConfigClient({ url: svc.url, token: CONSUMER_TOKEN, cacheFile })
  const keeper = new LlmConfigClient({ url: svc.url, token: CONSUMER_TOKEN, cacheFile: withKeyFile, cacheApiKey: true })
  await Promise.all([writer.ready(), keeper.ready()])
  t.equal(writer.task('tagger').api_key, KEY, 'the client itself has the key')
  const version = writer.config?.version ?? 0
  await until(() => writer.config !== undefined, 'a config')
  await writer.close() // flushes the queued write
  await keeper.close()

  const first = await stat(cacheFile)
  t.equal(first.mode & 0o777, 0o600, 'mode 0600')
  const saved = JSON.parse(await readFile(cacheFile, 'utf8')) as Record<string, unknown>
  t.equal((saved.config as { version: number }).version, version)
  t.notOk('api_key' in saved, 'no api_key field')
  t.notOk((await readFile(cacheFile, 'utf8')).includes(KEY), 'the key appears nowhere in the file')
  t.equal(JSON.parse(await readFile(withKeyFile, 'utf8')).api_key, KEY, 'cacheApiKey: true keeps it')
  t.equal((await stat(withKeyFile)).mode & 0o777, 0o600)

  // A new version replaces the file by rename: a reader holding the old file still reads it
  // whole (it was not rewritten in place), the path names another inode, no temporary is left.
  const held = await open(cacheFile)
  t.teardown(() => held.close())
  const follower = new LlmConfigClient({ url: svc.url, cacheFile })
  await follower.ready()
  const seen = nextChange(follower, ({ current }) => current.batch_size === 8)
  await patch(svc.url, { batch_size: 8 })
  await seen
  await follower.close()
  const second = await stat(cacheFile)
  t.not(second.ino, first.ino, 'written to a new file, renamed over the old one')
  t.same(JSON.parse(await held.readFile('utf8')), saved, 'the old file, still open, is intact')
  t.equal(second.mode & 0o777, 0o600)
  t.same((await readdir(join(dir, 'nested'))), ['llm-config.json'], 'no temporary file left')
  const latest = (JSON.parse(await readFile(cacheFile, 'utf8')) as { config: { version: number, batch_size: number } }).config
  t.equal(latest.batch_size, 8)

  // The service goes down; a worker starts: ready from the file, stale.
  await svc.stop()
  const started = performance.now()
  const client = new LlmConfigClient({ url: svc.url, token: CONSUMER_TOKEN, cacheFile, backoffBaseMs: 100, backoffCapMs: 500 })
  t.teardown(() => client.close())
  await client.ready({ timeoutMs: 5000 })
  t.comment(`ready from the cache file in ${(performance.now() - started).toFixed(0)} ms with the service down`)
  t.equal(client.status, 'stale')
  t.match(client.error?.message, /unreachable/)
  t.equal(client.config?.version, latest.version)
  t.equal(client.task('tagger').batch_size, 8)
  t.notOk('api_key' in client.task('tagger'), 'the key was not cached, so it is not known yet')

  // It comes back (with a version the client has not seen): live, caught up, key revealed.
  await svc.start() // may take seconds on a loaded machine: the deadline below starts after it
  const caughtUp = nextChange(client, ({ current }) => current.batch_size === 9)
  await patch(svc.url, { batch_size: 9 })
  await caughtUp
  await untilStatus(client, 'live')
  t.equal(client.task('tagger').api_key, KEY)
})
