// Security headers, CORS, the docs switch, the write rate limit, and log redaction.
import t from 'tap'
import { ADMIN_TOKEN, auth, testApp } from '../helper.js'
import { storedState } from '../llm-config/state.js'

t.test('security headers: helmet\'s defaults on Swagger UI, the OWASP REST set on every JSON answer', async (t) => {
  const { app } = await testApp(t)
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-security-policy'], /default-src 'self'/, 'Swagger UI: helmet\'s content security policy')
  t.notMatch(docs.headers['content-security-policy'], /upgrade-insecure-requests/, 'without upgrade-insecure-requests (plain-http hosts)')
  t.equal(docs.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(docs.headers['cross-origin-opener-policy'], 'same-origin')
  t.equal(docs.headers['x-content-type-options'], 'nosniff')
  t.ok(docs.headers['strict-transport-security'], 'HSTS')

  const answers = [
    await app.inject({ method: 'GET', url: '/llm-config' }),
    await app.inject({ method: 'GET', url: '/no-such-route' }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: { 'content-type': 'application/json' }, payload: '{}' })
  ]
  t.same(answers.map((res) => res.statusCode), [200, 404, 401])
  for (const res of answers) {
    const at = `${res.statusCode}`
    t.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", `${at}: a CSP that allows nothing`)
    t.equal(res.headers['x-frame-options'], 'DENY', at)
    t.equal(res.headers['x-content-type-options'], 'nosniff', at)
    t.match(res.headers['strict-transport-security'], /max-age=\d+/, `${at}: HSTS`)
    t.equal(res.headers['referrer-policy'], 'no-referrer', at)
    t.equal(res.headers['cross-origin-resource-policy'], 'same-origin', at)
    t.notOk(res.headers['x-xss-protection'], `${at}: no header that only means something to an HTML page`)
  }
})

t.test('CORS is closed by default', async (t) => {
  const { app } = await testApp(t)
  const preflight = await app.inject({
    method: 'OPTIONS', url: '/llm-config', headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'PATCH' }
  })
  t.notOk(preflight.headers['access-control-allow-origin'], 'no origin is allowed')
  const read = await app.inject({ method: 'GET', url: '/llm-config', headers: { origin: 'https://admin.example.com' } })
  t.notOk(read.headers['access-control-allow-origin'])
})

t.test('CORS_ORIGINS opens the API to the named origins only', async (t) => {
  const { app } = await testApp(t, { env: { CORS_ORIGINS: 'https://admin.example.com, https://ops.example.com' } })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/llm-config',
    headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,if-match,content-type' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://admin.example.com')
  t.match(preflight.headers['access-control-allow-methods'], /PATCH/)
  t.match(preflight.headers['access-control-allow-headers'], /if-match/)
  const read = await app.inject({ method: 'GET', url: '/llm-config', headers: { origin: 'https://ops.example.com' } })
  t.equal(read.headers['access-control-allow-origin'], 'https://ops.example.com')
  t.match(read.headers['access-control-expose-headers'], /etag/, 'browsers may read the ETag')
  const other = await app.inject({ method: 'GET', url: '/llm-config', headers: { origin: 'https://evil.example.com' } })
  t.notOk(other.headers['access-control-allow-origin'])
})

t.test('DOCS_ENABLED=false removes Swagger UI and the document', async (t) => {
  const { app } = await testApp(t, { env: { DOCS_ENABLED: 'false' } })
  for (const url of ['/docs', '/docs/', '/docs/json', '/docs/yaml']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url)
  }
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 200, 'the API is unaffected')
})

t.test('writes are rate-limited per client address: 429 problem+json with Retry-After, nothing changes', async (t) => {
  const { app } = await testApp(t, { env: { WRITE_RATE_LIMIT: '3' } })
  for (let i = 0; i < 3; i++) {
    t.equal((await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 10 + i } })).statusCode, 200)
  }
  const before = await storedState(app)
  const limited = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 99 } })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After')
  t.same(await storedState(app), before, 'the refused write changed nothing')
  const elsewhere = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 99 }, remoteAddress: '10.1.2.3' })
  t.equal(elsewhere.statusCode, 200, 'another address has its own budget')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 200, 'reads are not limited')
})

t.test('no token, authorization header or key in any log line, at trace level, even for rejected requests', async (t) => {
  const key = 'sk-redaction-check-0987654321'
  const { app, logs } = await testApp(t, {
    captureLogs: true,
    env: { LOG_LEVEL: 'trace', READER_TOKENS: 'dash:reader-token-abcdefghijkl', CONSUMER_TOKENS: 'worker:consumer-token-abcdefghij' }
  })
  const requests = [
    { method: 'PATCH', url: '/llm-config', headers: auth, payload: { api_key: key } },
    { method: 'GET', url: '/llm-config', headers: { authorization: 'Bearer reader-token-abcdefghijkl' } },
    { method: 'GET', url: '/llm-config/credentials', headers: { authorization: 'Bearer consumer-token-abcdefghij' } },
    { method: 'PATCH', url: '/llm-config', headers: { authorization: 'Bearer reader-token-abcdefghijkl' }, payload: { api_key: key } },
    { method: 'PATCH', url: '/llm-config', headers: { authorization: 'Bearer wrong-token-abcdefghijklmn' }, payload: { api_key: key } },
    { method: 'PATCH', url: '/llm-config', headers: auth, payload: { api_key: key, batch_size: -1 } }
  ] as const
  const statuses = []
  for (const request of requests) statuses.push((await app.inject(request)).statusCode)
  t.same(statuses, [200, 200, 200, 403, 401, 400])
  const lines = logs()
  t.match(lines, /"API key revealed"/, 'the reveal is logged')
  t.match(lines, /"actor":"worker"/, 'with the token\'s name')
  for (const secret of [key, ADMIN_TOKEN, 'reader-token-abcdefghijkl', 'consumer-token-abcdefghij', 'wrong-token-abcdefghijklmn']) {
    t.notMatch(lines, secret, `no log line carries ${secret.slice(0, 6)}…`)
  }
})
