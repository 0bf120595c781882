// 405 with Allow for a method a resource does not support (RFC 9110 §15.5.6), and OPTIONS
// answered with Allow (§9.3.7), with and without CORS.
import t from 'tap'
import { auth, testApp } from '../helper.js'
import { storedState } from '../llm-config/state.js'

const allowOf = (header: unknown) => String(header).split(/,\s*/).sort()

t.test('a method the resource does not support: 405 problem+json with Allow, and nothing changes', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  const cases: Array<[string, string, string[]]> = [
    ['POST', '/llm-config', ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT']],
    ['PUT', '/llm-config/history', ['GET', 'HEAD', 'OPTIONS']],
    ['DELETE', '/llm-config/history/3', ['GET', 'HEAD', 'OPTIONS']],
    ['GET', '/llm-config/restore', ['OPTIONS', 'POST']],
    ['POST', '/llm-config/watch', ['GET', 'OPTIONS']],
    ['PATCH', '/llm-config/credentials?x=1', ['GET', 'HEAD', 'OPTIONS']],
    ['DELETE', '/healthz', ['GET', 'HEAD', 'OPTIONS']],
    ['POST', '/metrics', ['GET', 'HEAD', 'OPTIONS']]
  ]
  for (const [method, url, allowed] of cases) {
    const res = await app.inject({ method: method as 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: method === 'GET' || method === 'DELETE' ? undefined : '{}' })
    t.equal(res.statusCode, 405, `${method} ${url} → 405`)
    t.same(allowOf(res.headers.allow), allowed, `Allow: ${allowed.join(', ')}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 405, title: 'Method Not Allowed', detail: new RegExp(`does not support ${method}`) })
  }
  t.same(await storedState(app), before, 'nothing changed')

  const unknown = await app.inject({ method: 'POST', url: '/llm-configs' })
  t.equal(unknown.statusCode, 404, 'a path no route has stays 404')
  t.notOk(unknown.headers.allow)
})

t.test('OPTIONS: 204 with Allow, without a token', async (t) => {
  const { app } = await testApp(t, { env: { READER_TOKENS: 'dashboard:reader-token-dashboard-5b8e2f' } })
  for (const [url, allowed] of [
    ['/llm-config', ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT']],
    ['/llm-config/history/7', ['GET', 'HEAD', 'OPTIONS']],
    ['/llm-config/verify', ['OPTIONS', 'POST']]
  ] as const) {
    const res = await app.inject({ method: 'OPTIONS', url })
    t.equal(res.statusCode, 204, `OPTIONS ${url}`)
    t.same(allowOf(res.headers.allow), allowed)
    t.equal(res.body, '')
  }
  t.equal((await app.inject({ method: 'OPTIONS', url: '/nope' })).statusCode, 404)
})

t.test('with CORS_ORIGINS: the preflight keeps working, and a plain OPTIONS still answers with Allow', async (t) => {
  const origin = 'https://console.example.com'
  const { app } = await testApp(t, { env: { CORS_ORIGINS: origin } })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/llm-config',
    headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type, if-match' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], origin)
  t.match(preflight.headers['access-control-allow-methods'], /PATCH/)
  t.match(preflight.headers['access-control-allow-headers'], /if-match/)

  const plain = await app.inject({ method: 'OPTIONS', url: '/llm-config' })
  t.equal(plain.statusCode, 204)
  t.same(allowOf(plain.headers.allow), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'])

  const notAllowed = await app.inject({ method: 'POST', url: '/llm-config', headers: { origin } })
  t.equal(notAllowed.statusCode, 405)
  t.equal(notAllowed.headers['access-control-allow-origin'], origin, 'a browser can read the 405')
  t.match(notAllowed.headers.allow, /PATCH/)
})
