// Who may do what. admin: read, write, reveal. reader: read. consumer: read and reveal.
// Reads are open until a reader token is configured; an unknown token is always refused.
// Every endpoint × every kind of caller, with and without reader tokens, then the rate limits.
import t, { type Test } from 'tap'
import { auth, testApp } from '../helper.js'
import { CALLERS, HIGH_LIMITS, TOKENS, headersOf, leakedSecrets, roleEnv, storedStateAsAdmin, type Caller } from '../support/roles.js'

const KEY = 'sk-live-ROLES-SECRET-5c0e8b3f1a94'
const HINT = `…${KEY.slice(-4)}`

type Access = 'public' | 'read' | 'write' | 'reveal'

interface Endpoint {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  access: Access
  payload?: Record<string, unknown>
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', url: '/llm-config', access: 'read' },
  { method: 'PUT', url: '/llm-config', access: 'write', payload: { provider: 'openai', batch_size: 11 } },
  { method: 'PATCH', url: '/llm-config', access: 'write', payload: { batch_size: 12 } },
  { method: 'DELETE', url: '/llm-config', access: 'write' },
  { method: 'GET', url: '/llm-config/credentials', access: 'reveal' },
  { method: 'GET', url: '/healthz', access: 'public' },
  { method: 'GET', url: '/readyz', access: 'public' },
  { method: 'GET', url: '/docs/json', access: 'public' }
]

const RIGHTS: Record<'admin' | 'reader' | 'consumer', Access[]> = {
  admin: ['read', 'write', 'reveal'],
  reader: ['read'],
  consumer: ['read', 'reveal']
}

/** The documented status for a caller, with reader tokens configured or not. */
function expectedStatus (endpoint: Endpoint, caller: Caller, readers: boolean): number {
  if (endpoint.access === 'public') return 200
  // Without READER_TOKENS the reader's token is configured nowhere: an unknown token.
  if (caller === 'unknown' || (caller === 'reader' && !readers)) return 401
  if (caller === 'none') return endpoint.access === 'read' && !readers ? 200 : 401
  return RIGHTS[caller].includes(endpoint.access) ? 200 : 403
}

const name = (endpoint: Endpoint) => `${endpoint.method} ${endpoint.url}`

async function storeKey (t: Test, app: Awaited<ReturnType<typeof testApp>>['app'], remoteAddress?: string) {
  const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { api_key: KEY }, remoteAddress })
  t.equal(res.statusCode, 200, 'the admin stores the key')
}

for (const readers of [true, false]) {
  t.test(`the role matrix, ${readers ? 'with READER_TOKENS (reads need a token)' : 'without READER_TOKENS (reads are open)'}`, async (t) => {
    const { app, logs } = await testApp(t, { captureLogs: true, env: { ...roleEnv({ readers }), LOG_LEVEL: 'trace' } })
    await storeKey(t, app)
    for (const endpoint of ENDPOINTS) {
      for (const caller of CALLERS) {
        const what = `${name(endpoint)} as ${caller}`
        const before = await storedStateAsAdmin(app)
        const res = await app.inject({ method: endpoint.method, url: endpoint.url, headers: headersOf(caller), payload: endpoint.payload })
        const status = expectedStatus(endpoint, caller, readers)
        t.equal(res.statusCode, status, `${what} → ${status}`)
        t.same(leakedSecrets(res), [], `${what}: no token in the answer`)
        t.notOk(JSON.stringify(res.headers).includes(KEY), `${what}: no key in the headers`)

        if (status === 401) {
          t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
          t.match(res.headers['www-authenticate'], /^Bearer/, `${what}: WWW-Authenticate`)
          t.match(res.json(), { status: 401, title: 'Unauthorized', type: String, detail: String })
        } else if (status === 403) {
          t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
          t.match(res.json(), { status: 403, title: 'Forbidden', type: String, detail: String })
        }
        if (status !== 200) {
          t.notOk(res.body.includes(KEY), `${what}: no key in a refusal`)
          t.same(await storedStateAsAdmin(app), before, `${what}: a refused request changed nothing`)
          continue
        }

        if (endpoint.access === 'reveal') {
          t.match(res.headers['content-type'], /^application\/json/)
          t.match(res.headers['cache-control'], /\bno-store\b/, `${what}: Cache-Control: no-store`)
          t.same(res.json(), { api_key: KEY }, `${what}: the plaintext key`)
        } else {
          t.notOk(res.body.includes(KEY), `${what}: no key in the answer`)
        }
        if (endpoint.url === '/llm-config' && endpoint.method === 'GET') {
          t.match(res.json(), { api_key_set: true, api_key_hint: HINT })
          t.notOk('api_key' in res.json())
        }
        if (endpoint.access === 'write') {
          t.equal(caller, 'admin', `${what}: only an admin writes`)
          await storeKey(t, app) // DELETE clears it; the next caller needs it stored
        }
      }
    }
    t.notOk(logs().includes(KEY), 'no log line carries the key')
    for (const [role, token] of Object.entries(TOKENS)) t.notOk(logs().includes(token), `no log line carries the ${role} token`)
  })
}

t.test('credentials when no key is stored: {"api_key": null}, not cached', async (t) => {
  const { app } = await testApp(t, { env: roleEnv({ readers: true }) })
  for (const caller of ['admin', 'consumer'] as const) {
    const res = await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: headersOf(caller) })
    t.equal(res.statusCode, 200, caller)
    t.same(res.json(), { api_key: null })
    t.match(res.headers['cache-control'], /\bno-store\b/)
  }
  const read = (await app.inject({ method: 'GET', url: '/llm-config', headers: headersOf('reader') })).json()
  t.match(read, { api_key_set: false, api_key_hint: null })
})

t.test('an unknown token gets the same 401, whatever its length', async (t) => {
  const { app } = await testApp(t, { env: roleEnv({ readers: true }) })
  await storeKey(t, app)
  const before = await storedStateAsAdmin(app)
  // Lengths 16 and 17 are prefixes of the real admin token: near misses get nothing more.
  const unknown = ['x', TOKENS.admin.slice(0, 16), TOKENS.admin.slice(0, 17), 'y'.repeat(10_000)]
  t.same(unknown.map((token) => token.length), [1, 16, 17, 10_000])
  for (const endpoint of ENDPOINTS.filter((e) => e.access !== 'public')) {
    const answers = []
    for (const token of unknown) {
      const res = await app.inject({ method: endpoint.method, url: endpoint.url, headers: { authorization: `Bearer ${token}` }, payload: endpoint.payload })
      t.equal(res.statusCode, 401, `${name(endpoint)} with a ${token.length}-character token`)
      t.notOk(res.body.includes(token), 'the answer does not quote the token')
      answers.push({ body: res.body, type: res.headers['content-type'], challenge: res.headers['www-authenticate'] })
    }
    t.same(answers.slice(1), Array(unknown.length - 1).fill(answers[0]), `${name(endpoint)}: identical answers`)
  }
  t.same(await storedStateAsAdmin(app), before, 'nothing changed')
})

t.test('failed authentications are rate-limited per client address', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true, env: { ...roleEnv({ readers: true }), AUTH_FAILURE_LIMIT: '3' } })
  await storeKey(t, app, '192.0.2.100')
  const before = await storedStateAsAdmin(app)
  const attacker = '192.0.2.1'
  const patch = (caller: Caller, remoteAddress: string) =>
    app.inject({ method: 'PATCH', url: '/llm-config', headers: headersOf(caller), payload: { batch_size: 99 }, remoteAddress })

  for (let i = 1; i <= 3; i++) t.equal((await patch('unknown', attacker)).statusCode, 401, `failure ${i} → 401`)
  const limited = await patch('unknown', attacker)
  t.equal(limited.statusCode, 429, 'failure 4 → 429')
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.match(limited.json(), { status: 429, type: String, title: String, detail: String })
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds: ${limited.headers['retry-after']}`)
  t.same(leakedSecrets(limited), [])

  // From that address even a correct token is refused, for every kind of request.
  const refused = [
    await patch('admin', attacker),
    await app.inject({ method: 'GET', url: '/llm-config', headers: headersOf('reader'), remoteAddress: attacker }),
    await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: headersOf('consumer'), remoteAddress: attacker }),
    await app.inject({ method: 'DELETE', url: '/llm-config', headers: auth, remoteAddress: attacker })
  ]
  for (const res of refused) {
    t.equal(res.statusCode, 429, 'a correct token from a blocked address → 429')
    t.ok(res.headers['retry-after'], 'with Retry-After')
    t.notOk(res.body.includes(KEY), 'the key is not revealed')
  }
  t.same(await storedStateAsAdmin(app), before, 'nothing changed')

  // Other addresses are unaffected.
  const other = '198.51.100.7'
  t.equal((await patch('unknown', other)).statusCode, 401, 'another address still gets 401')
  const credentials = await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: headersOf('consumer'), remoteAddress: other })
  t.equal(credentials.statusCode, 200)
  t.same(credentials.json(), { api_key: KEY })
  t.equal((await patch('admin', other)).statusCode, 200, 'and writes')
  t.notOk(logs().includes(KEY), 'no log line carries the key')
})

t.test('the block ends when the window passes', async (t) => {
  const { app } = await testApp(t, { env: { ...roleEnv({ readers: true }), AUTH_FAILURE_LIMIT: '2' } })
  const address = '203.0.113.9'
  const patch = (caller: Caller) =>
    app.inject({ method: 'PATCH', url: '/llm-config', headers: headersOf(caller), payload: { batch_size: 77 }, remoteAddress: address })
  for (let i = 0; i < 2; i++) t.equal((await patch('unknown')).statusCode, 401)
  t.equal((await patch('unknown')).statusCode, 429)
  t.equal((await patch('admin')).statusCode, 429)
  // A minute and a bit later (the limiter keeps time with Date.now).
  const now = Date.now
  Date.now = () => now() + 61_000
  t.teardown(() => { Date.now = now })
  const after = await patch('admin')
  t.equal(after.statusCode, 200, 'the correct token works again')
  t.equal(after.json().batch_size, 77)
  t.equal((await patch('unknown')).statusCode, 401, 'and a new failure counts from zero')
})

t.test('writes are rate-limited per client address; reads are not writes', async (t) => {
  const { app } = await testApp(t, { env: { ...roleEnv({ readers: false }), AUTH_FAILURE_LIMIT: HIGH_LIMITS.AUTH_FAILURE_LIMIT, WRITE_RATE_LIMIT: '3' } })
  const writer = '192.0.2.50'
  for (let i = 1; i <= 3; i++) {
    const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: i }, remoteAddress: writer })
    t.equal(res.statusCode, 200, `write ${i}`)
  }
  const before = await storedStateAsAdmin(app)
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const res = await app.inject({ method, url: '/llm-config', headers: auth, payload: method === 'DELETE' ? undefined : { batch_size: 50 }, remoteAddress: writer })
    t.equal(res.statusCode, 429, `${method} over the limit → 429`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 429 })
    t.ok(Number(res.headers['retry-after']) >= 1, 'with Retry-After')
  }
  t.same(await storedStateAsAdmin(app), before, 'the refused writes changed nothing')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config', remoteAddress: writer })).statusCode, 200, 'reads go on')
  const credentials = await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth, remoteAddress: writer })
  t.equal(credentials.statusCode, 200, 'so does revealing')
  const other = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 4 }, remoteAddress: '198.51.100.8' })
  t.equal(other.statusCode, 200, 'another address still writes')
})
