// The API key at rest: encrypted, rotatable, and failing closed under a wrong key.
import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import t from 'tap'
import { llmConfig } from '../../src/db/schema.js'
import { Keyring, SecretUnavailableError, hintOf, keyId } from '../../src/llm-config/secrets/cipher.js'
import { auth, createDatabaseOn, postgresServerUrl, reopen, testApp, TEST_ENCRYPTION_KEY } from '../helper.js'
import { npmRun } from '../db/schema-inspection.js'
import { storedState } from './state.js'

const KEY = 'sk-proj-0123456789abcdefghijWXYZ'
const json = { ...auth, 'content-type': 'application/json' }
const storedKey = async (app: Awaited<ReturnType<typeof testApp>>['app']) => (await app.database.db.select({ api_key: llmConfig.api_key }).from(llmConfig))[0]?.api_key

t.test('Keyring: AES-256-GCM round trip, a fresh nonce each time, tampering and wrong keys fail closed', async (t) => {
  const key = randomBytes(32)
  const ring = new Keyring(key)
  const a = ring.encrypt(KEY)
  const b = ring.encrypt(KEY)
  t.not(a, b, 'two encryptions of the same key differ (random nonce)')
  t.match(a, new RegExp(`^llmcfg:v1:${keyId(key)}:[A-Za-z0-9_-]+$`), 'format version and key id')
  t.equal(ring.decrypt(a), KEY)
  t.equal(ring.decrypt(b), KEY)

  const other = new Keyring(randomBytes(32))
  t.throws(() => other.decrypt(a), SecretUnavailableError, 'an unknown key id')
  const body = a.split(':')[3] ?? ''
  const flipped = `${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`
  t.throws(() => ring.decrypt(a.replace(body, flipped)), SecretUnavailableError, 'a changed byte: the tag does not verify')
  // A different key that claims the same key id still cannot decrypt: GCM authenticates.
  const impostor = Object.assign(new Keyring(randomBytes(32)), {})
  ;(impostor as unknown as { keys: Map<string, Buffer> }).keys.set(keyId(key), randomBytes(32))
  t.throws(() => impostor.decrypt(a), SecretUnavailableError, 'the wrong key under the right id')
  t.throws(() => ring.decrypt('sk-plain'), SecretUnavailableError, 'not ciphertext')

  const rotated = new Keyring(randomBytes(32), [key])
  t.equal(rotated.decrypt(a), KEY, 'old keys still decrypt')
  t.notOk(rotated.isCurrent(a))
  t.ok(rotated.isCurrent(rotated.encrypt(KEY)))
  t.equal(hintOf(KEY), '…WXYZ')
  t.equal(hintOf('short-key'), '…', 'a short key shows nothing of itself')
})

t.test('the database holds ciphertext only; responses show the hint, the credentials the key', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } })
  const first = await storedKey(app)
  t.match(first, /^llmcfg:v1:/)
  t.notMatch(first, KEY)
  const raw = await app.database.db.execute(sql`select api_key, api_key_hint from llm_config`)
  t.notMatch(JSON.stringify(raw), KEY, 'a raw SELECT never contains the plaintext')

  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } })
  t.equal(await storedKey(app), first, 'the same key again is no change: nothing is written')
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: `${KEY}-other` } })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } })
  t.not(await storedKey(app), first, 'the key written again later is encrypted afresh: different ciphertext (a new nonce)')

  const read = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  t.match(read, { api_key_set: true, api_key_hint: '…WXYZ' })
  const reveal = await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })
  t.equal(reveal.statusCode, 200)
  t.equal(reveal.headers['cache-control'], 'no-store')
  t.same(reveal.json(), { api_key: KEY })

  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: null } })
  t.same((await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: null })
  t.match((await app.inject({ method: 'GET', url: '/llm-config' })).json(), { api_key_set: false, api_key_hint: null })
})

t.test('a hint or the service\'s own ciphertext is refused as a key (400), so a masked value never overwrites the key', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } })
  const before = await storedState(app)
  const ciphertext = await storedKey(app)
  for (const value of ['…WXYZ', '…', ciphertext, 'llmcfg:v1:abcdefgh:AAAA']) {
    for (const method of ['PUT', 'PATCH'] as const) {
      const res = await app.inject({ method, url: '/llm-config', headers: json, payload: { api_key: value } })
      t.equal(res.statusCode, 400, `${method} api_key=${String(value).slice(0, 16)}…`)
      t.match(res.json(), { errors: [{ field: 'api_key', detail: /not its masked hint/ }] })
    }
  }
  // A GET body sent back (hint included) keeps the key.
  const body = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  t.equal((await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: body })).statusCode, 200)
  t.equal(app.keyring.decrypt(await storedKey(app) ?? ''), KEY)
  t.same((await storedState(app)).body.api_key_hint, before.body.api_key_hint)
})

t.test('rotation: old keys decrypt, rotate re-encrypts once (a rotate version), the settings stay', async (t) => {
  const first = await testApp(t)
  await first.app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } })
  const before = (await first.app.inject({ method: 'GET', url: '/llm-config' })).json()

  const newKey = randomBytes(32).toString('base64')
  const second = await reopen(t, first, { env: { ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS_OLD: TEST_ENCRYPTION_KEY } })
  t.same((await second.app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: KEY }, 'the old key still decrypts')
  t.equal(await second.app.llmConfig.rotate(), 'rotated')
  t.ok(second.app.keyring.isCurrent(await storedKey(second.app) ?? ''), 'now under the new key')
  t.equal(await second.app.llmConfig.rotate(), 'unchanged', 'idempotent')
  const after = (await second.app.inject({ method: 'GET', url: '/llm-config', query: { consistent: 'true' } })).json()
  t.same({ ...after, version: 0, updated_at: '' }, { ...before, version: 0, updated_at: '' }, 'rotation changes no visible setting')
  t.equal(after.version, before.version + 1, 'but it is a version of its own')
  const [entry] = (await second.app.inject({ method: 'GET', url: '/llm-config/history?limit=1' })).json().items
  t.match(entry, { action: 'rotate', actor: 'system', changes: { api_key: { changed: true } } })

  const third = await reopen(t, second, { env: { ENCRYPTION_KEY: newKey } })
  t.same((await third.app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: KEY }, 'the new key alone decrypts')
})

t.test('a wrong key fails closed: reads work, the key is refused with its cause, /readyz reports it', async (t) => {
  const first = await testApp(t)
  await first.app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY, batch_size: 12 } })

  const wrong = await reopen(t, first, { env: { ENCRYPTION_KEY: randomBytes(32).toString('base64') }, captureLogs: true })
  const read = await wrong.app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(read.statusCode, 200, 'the rest of the configuration is still served')
  t.match(read.json(), { batch_size: 12, api_key_set: true, api_key_hint: '…WXYZ' })

  const reveal = await wrong.app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })
  t.equal(reveal.statusCode, 500)
  t.match(reveal.headers['content-type'], /^application\/problem\+json/)
  t.match(reveal.json(), { type: 'urn:llm-config:problem:secret-unavailable', detail: /key id \S+, which is neither ENCRYPTION_KEY/ })
  t.notMatch(reveal.body, KEY)

  const ready = await wrong.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json().detail, /ENCRYPTION_KEY/)
  t.notMatch(wrong.logs(), KEY)
})

t.test('a plaintext key left by the original schema is encrypted at start', async (t) => {
  const first = await testApp(t)
  await first.app.database.db.update(llmConfig).set({ api_key: 'legacy-plaintext-key-1234', api_key_hint: null })
  const second = await reopen(t, first, { captureLogs: true })
  const stored = await storedKey(second.app)
  t.match(stored, /^llmcfg:v1:/)
  t.equal(second.app.keyring.decrypt(stored ?? ''), 'legacy-plaintext-key-1234')
  t.match((await second.app.inject({ method: 'GET', url: '/llm-config' })).json(), { api_key_hint: '…1234' })
  t.match(second.logs(), /was plaintext/)
})

t.test('npm run secrets:rotate re-encrypts under ENCRYPTION_KEY, idempotently, and fails loudly on a wrong key', async (t) => {
  // A PostgreSQL database, so the CLI and the app can hold it at the same time.
  const url = await createDatabaseOn(t, postgresServerUrl)
  const { app } = await testApp(t, { databaseUrl: url })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } })

  const newKey = randomBytes(32)
  const env = { DATABASE_URL: url, ENCRYPTION_KEY: newKey.toString('base64'), ENCRYPTION_KEYS_OLD: TEST_ENCRYPTION_KEY, NODE_ENV: 'production' }
  const first = await npmRun('secrets:rotate', env)
  t.equal(first.code, 0, 'exit 0', { stderr: first.stderr })
  t.match(first.stdout, `Re-encrypted the stored API key under the current key (key id ${keyId(newKey)})`)
  const stored = await storedKey(app) ?? ''
  t.ok(new Keyring(newKey).isCurrent(stored), 'stored under the new key')
  t.equal(new Keyring(newKey).decrypt(stored), KEY)

  const again = await npmRun('secrets:rotate', env)
  t.equal(again.code, 0)
  t.match(again.stdout, 'already encrypted under the current key: nothing to do')
  t.equal(await storedKey(app), stored, 'the second run changed nothing')

  const wrong = await npmRun('secrets:rotate', { ...env, ENCRYPTION_KEY: randomBytes(32).toString('base64'), ENCRYPTION_KEYS_OLD: '' })
  t.not(wrong.code, 0, 'a key that cannot decrypt: non-zero exit')
  t.match(wrong.stderr, /secrets:rotate failed: The stored API key was encrypted with key id/)
  t.notMatch(wrong.stdout + wrong.stderr, KEY)
  t.equal(await storedKey(app), stored, 'and nothing changed')
})
