// The API key in task plans: a consumer token has it, a key rotation reaches the client
// without a restart, a change that does not touch the key costs no reveal (reveals counted at
// a proxy), and a reader token simply has no api_key.
import t from 'tap'
import { LlmConfigClient } from '../src/index.js'
import { startProxy } from './support/proxy.js'
import { CONSUMER_TOKEN, READER_TOKEN, patch, service } from './support/service.js'
import { nextChange, untilStatus } from './support/wait.js'

const FIRST = 'sk-first-key-0000000011111'
const SECOND = 'sk-second-key-000000022222'

const { url } = await service(t, { env: { READER_TOKENS: `dashboard:${READER_TOKEN}` } })
await patch(url, { api_key: FIRST })

t.test('a key rotation reaches a consumer client; other changes cost no reveal', async (t) => {
  const proxy = await startProxy(t, url)
  const client = new LlmConfigClient({ url: proxy.url, token: CONSUMER_TOKEN })
  t.teardown(() => client.close())
  await client.ready()
  t.equal(client.task('tagger').api_key, FIRST)
  t.equal(proxy.count('/llm-config/credentials'), 1, 'revealed once at start')

  const unrelated = nextChange(client, ({ current }) => current.batch_size === 33)
  await patch(url, { batch_size: 33 })
  await unrelated
  t.equal(proxy.count('/llm-config/credentials'), 1, 'a change that does not touch the key: no reveal')

  let keyAtChange: string | null | undefined
  const rotated = nextChange(client, ({ changed }) => changed.includes('api_key_hint') || changed.includes('api_key_version'))
  client.on('change', () => { keyAtChange = client.task('enricher').api_key })
  await patch(url, { api_key: SECOND })
  await rotated
  t.equal(keyAtChange, SECOND, 'the new key is in the plans when the change is told')
  t.equal(proxy.count('/llm-config/credentials'), 2, 'one reveal for the rotation')

  const cleared = nextChange(client, ({ current }) => !current.api_key_set)
  await patch(url, { api_key: null })
  await cleared
  t.equal(client.task('tagger').api_key, null, 'no key stored: null')
})

// Only api_key_version tells this rotation apart: the hint (the last four characters) is the same.
t.test('a rotation to a key with the same last four characters', async (t) => {
  await patch(url, { api_key: FIRST })
  const proxy = await startProxy(t, url)
  const client = new LlmConfigClient({ url: proxy.url, token: CONSUMER_TOKEN })
  t.teardown(() => client.close())
  await client.ready()
  t.equal(client.task('tagger').api_key, FIRST)
  const lookalike = `sk-other-key-00000000${FIRST.slice(-5)}`
  const rotated = nextChange(client, ({ changed }) => changed.includes('api_key_version'))
  await patch(url, { api_key: lookalike })
  const { changed } = await rotated
  t.notOk(changed.includes('api_key_hint'), 'the hint did not move')
  t.equal(client.task('tagger').api_key, lookalike)
  t.equal(proxy.count('/llm-config/credentials'), 2)
})

// A version whose key cannot be revealed is not taken: the plans never pair a version with
// another version's key. The client is stale meanwhile and takes the version once it can.
t.test('a rotation whose reveal fails: the version is held back, stale, then taken with its key', async (t) => {
  await patch(url, { api_key: FIRST })
  const proxy = await startProxy(t, url)
  const client = new LlmConfigClient({ url: proxy.url, token: CONSUMER_TOKEN, backoffBaseMs: 50, backoffCapMs: 200 })
  t.teardown(() => client.close())
  await client.ready()
  const before = client.config!.version
  proxy.refusing.add('/llm-config/credentials')
  const stale = untilStatus(client, 'stale')
  const rotation = await patch(url, { api_key: SECOND, batch_size: 44 })
  await stale
  t.match(client.error?.message, /reading the API key/, 'the error says what failed')
  t.notMatch(client.error?.message ?? '', /sk-|Bearer|consumer/, 'and holds no secret')
  t.equal(client.config!.version, before, 'the rotated version is not taken')
  t.equal(client.task('tagger').api_key, FIRST, 'plans keep the key of the version they show')
  t.equal(client.task('tagger').batch_size, client.config!.batch_size)

  // Reconnecting while held back is not news of being current: no flip to live and back.
  const flips: string[] = []
  client.on('status', (status) => flips.push(status))
  await untilRequests(proxy, '/llm-config/credentials', 503, 2)
  t.strictSame(flips.filter((status) => status === 'live'), [], 'stays stale while the version is held back')
  const taken = nextChange(client, ({ current }) => current.version === rotation.version)
  const live = untilStatus(client, 'live')
  proxy.refusing.clear()
  const { changed } = await taken
  await live
  t.ok(changed.includes('api_key_version') && changed.includes('batch_size'), 'the held-back version arrives whole')
  t.equal(client.task('tagger').api_key, SECOND)
  t.ok(proxy.count('/llm-config/credentials', 503) >= 1, 'the refused reveal was asked')
})

/** Resolves once the proxy has answered `path` with `status` `count` times (checked on each request it passes). */
async function untilRequests (proxy: Awaited<ReturnType<typeof startProxy>>, path: string, status: number, count: number) {
  const deadline = Date.now() + 10_000
  while (proxy.count(path, status) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} answers ${status} to ${path} within 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('a reader token: no api_key, not an error', async (t) => {
  const client = new LlmConfigClient({ url, token: READER_TOKEN })
  t.teardown(() => client.close())
  const warnings: Error[] = []
  client.on('warning', (warning) => warnings.push(warning))
  await client.ready()
  t.equal(client.status, 'live')
  t.notOk('api_key' in client.task('tagger'))
  t.same(warnings, [])
})
