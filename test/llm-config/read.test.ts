import t from 'tap'
import { auth, reopen, testApp } from '../helper.js'
import { defaultApiSettings as DEFAULTS } from '../support/defaults.js'

t.test('GET /llm-config serves the defaults of the original design', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.match(res.headers.etag, /^"[A-Za-z0-9_-]+"$/, 'a strong ETag')
  t.equal(res.headers['cache-control'], 'no-cache')
  const body = res.json()
  const { id, created_at: createdAt, updated_at: updatedAt, version, ...settings } = body
  t.equal(version, 1, 'the first version')
  t.equal(res.headers.etag, '"1"', 'the ETag is the version')
  t.same(settings, DEFAULTS, 'every column under its seed name, the key replaced by api_key_set')
  t.type(id, 'number')
  t.equal(new Date(createdAt).toISOString(), createdAt, 'created_at is ISO-8601')
  t.equal(updatedAt, createdAt)
  t.notOk('api_key' in body)
})

t.test('the ETag is stable while nothing is written and changes on every write', async (t) => {
  const { app } = await testApp(t)
  const first = await app.inject({ method: 'GET', url: '/llm-config' })
  const again = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(again.headers.etag, first.headers.etag)

  const seen = new Set([first.headers.etag])
  // Every write that changes something, a key-only one included, moves the ETag.
  for (const body of [{ enabled: true }, { batch_size: 9 }, { api_key: 'sk-one' }, { api_key: 'sk-two' }]) {
    const write = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: body })
    t.equal(write.statusCode, 200)
    t.notOk(seen.has(write.headers.etag), `new ETag after ${JSON.stringify(body)}`)
    seen.add(write.headers.etag)
    const read = await app.inject({ method: 'GET', url: '/llm-config' })
    t.equal(read.headers.etag, write.headers.etag, 'the write answers with the ETag a read then shows')
  }
  // The same values again change nothing: the ETag stays.
  const same = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { enabled: true, api_key: 'sk-two' } })
  t.equal(same.statusCode, 200)
  t.equal(same.headers.etag, [...seen].at(-1), 'a write that changes nothing keeps the ETag')
})

t.test('If-None-Match: 304 while current, 200 once changed', async (t) => {
  const { app } = await testApp(t)
  const { headers: { etag } } = await app.inject({ method: 'GET', url: '/llm-config' })
  const current = String(etag)

  for (const header of [current, `"other", ${current}`, `W/${current}`, '*']) {
    const res = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-none-match': header } })
    t.equal(res.statusCode, 304, `If-None-Match: ${header}`)
    t.equal(res.body, '', '304 has no body')
    t.notOk(res.headers['content-length'] && res.headers['content-length'] !== '0', 'and announces none')
    t.equal(res.headers.etag, current)
  }
  const stale = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-none-match': '"stale"' } })
  t.equal(stale.statusCode, 200)

  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 7 } })
  const changed = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-none-match': current } })
  t.equal(changed.statusCode, 200)
  t.equal(changed.json().batch_size, 7)
})

t.test('If-Match on GET: 412 with the current ETag when false (RFC 9110 §13.1.1), 200 when it holds', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 9 } })
  const current = await app.inject({ method: 'GET', url: '/llm-config' })
  const etag = current.headers.etag as string
  t.equal(etag, '"2"')
  for (const ifMatch of ['"1"', '"02"', 'W/"2"', '"1", "3"', '2']) {
    const res = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-match': ifMatch } })
    t.equal(res.statusCode, 412, `If-Match: ${ifMatch} → 412`)
    t.equal(res.headers.etag, etag, 'the 412 carries the current ETag')
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { type: 'urn:llm-config:problem:precondition-failed', status: 412, detail: /"2"/ })
  }
  t.match((await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-match': '2' } })).json().detail, /in quotes/, 'an unquoted tag is named as such')
  const consistent = await app.inject({ method: 'GET', url: '/llm-config?consistent=true', headers: { 'if-match': '"1"' } })
  t.equal(consistent.statusCode, 412, 'a consistent read too')
  for (const ifMatch of [etag, '*', `"1", ${etag}`]) {
    const res = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-match': ifMatch } })
    t.equal(res.statusCode, 200, `If-Match: ${ifMatch} → 200`)
    t.strictSame(res.json(), current.json())
  }
  const both = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-match': '"1"', 'if-none-match': etag } })
  t.equal(both.statusCode, 412, 'If-Match is evaluated before If-None-Match (§13.2.2)')
})

t.test('HEAD /llm-config answers with the headers of GET', async (t) => {
  const { app } = await testApp(t)
  const get = await app.inject({ method: 'GET', url: '/llm-config' })
  const head = await app.inject({ method: 'HEAD', url: '/llm-config' })
  t.equal(head.statusCode, 200)
  t.equal(head.headers.etag, get.headers.etag)
  t.equal(head.body, '')
})

t.test('the ETag depends only on the stored state: another replica, or a restart, computes the same', async (t) => {
  const first = await testApp(t)
  const write = await first.app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { provider: 'groq', api_key: 'gsk-1' } })
  t.equal(write.statusCode, 200)

  const second = await reopen(t, first)
  const read = await second.app.inject({ method: 'GET', url: '/llm-config' })
  t.same(read.json(), write.json())
  t.equal(read.headers.etag, write.headers.etag)
})
