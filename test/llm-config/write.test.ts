import t from 'tap'
import { auth, testApp } from '../helper.js'
import { storedState } from './state.js'

const json = { ...auth, 'content-type': 'application/json' }

t.test('PUT replaces: given settings take their values, left-out settings return to defaults', async (t) => {
  const { app } = await testApp(t)
  const defaults = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 50, model_responder: 'gpt-4o', enabled: true } })

  const res = await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { provider: 'openai', model_tagger: 'gpt-4o-mini' } })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.provider, 'openai')
  t.equal(body.model_tagger, 'gpt-4o-mini')
  t.equal(body.batch_size, defaults.batch_size, 'left out → default again')
  t.equal(body.model_responder, null, 'a nullable setting left out → its default, null')
  t.equal(body.enabled, false)
  t.equal(body.created_at, defaults.created_at, 'created_at never changes')
  t.ok(body.updated_at > defaults.updated_at, 'updated_at moves forward')
  t.same((await app.inject({ method: 'GET', url: '/llm-config' })).json(), body, 'the response is what is stored')
})

t.test('api_key is write-only: set by a string, kept when absent (PUT too), cleared by null', async (t) => {
  const { app } = await testApp(t)
  const key = 'sk-test-0123456789abcdefWXYZ'
  const set = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: key } })
  t.equal(set.statusCode, 200)
  t.equal(set.json().api_key_set, true)
  t.notMatch(set.body, key)
  t.notOk('api_key' in set.json())

  // A GET body sent back with PUT keeps the key (read-only fields are accepted and ignored).
  const got = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { ...got, batch_size: 9 } })
  t.equal(put.statusCode, 200)
  t.equal(put.json().api_key_set, true, 'PUT without api_key keeps the key')
  t.equal(put.json().batch_size, 9)
  const stored = (await storedState(app)).rows[0]?.api_key ?? ''
  t.equal(app.keyring.decrypt(stored), key, 'the stored key is unchanged')
  t.equal(put.json().api_key_hint, '…WXYZ', 'the hint shows the last 4 characters')

  const cleared = await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { api_key: null } })
  t.equal(cleared.json().api_key_set, false)
  t.equal((await storedState(app)).rows[0]?.api_key, null)
})

t.test('read-only fields are accepted and ignored', async (t) => {
  const { app } = await testApp(t)
  const before = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  const res = await app.inject({
    method: 'PATCH',
    url: '/llm-config',
    headers: json,
    payload: { id: 999, api_key_set: true, created_at: '2000-01-01T00:00:00.000Z', updated_at: '2000-01-01T00:00:00.000Z', batch_size: 6 }
  })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.id, before.id)
  t.equal(body.api_key_set, false)
  t.equal(body.created_at, before.created_at)
  t.ok(body.updated_at > before.updated_at)
  t.equal(body.batch_size, 6)
})

t.test('PATCH is a JSON Merge Patch: only the given fields change, null clears', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { model_responder: 'llama3:70b', api_url: 'http://ollama:11434', max_retries: 9 } })
  const before = (await app.inject({ method: 'GET', url: '/llm-config' })).json()

  const res = await app.inject({
    method: 'PATCH',
    url: '/llm-config',
    headers: { ...auth, 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ model_responder: null, min_confidence_entity: 0.95 })
  })
  t.equal(res.statusCode, 200)
  const after = res.json()
  t.same({ ...after, updated_at: null, version: null }, { ...before, model_responder: null, min_confidence_entity: 0.95, updated_at: null, version: null },
    'exactly the two patched fields changed (and updated_at)')
  t.ok(after.updated_at > before.updated_at)
})

t.test('DELETE resets every setting to its default and clears the key', async (t) => {
  const { app } = await testApp(t)
  const initial = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  await app.inject({
    method: 'PUT',
    url: '/llm-config',
    headers: json,
    payload: { provider: 'anthropic', api_key: 'sk-ant-123', backup_provider: 'openai', backup_model: 'gpt-4o', enabled: true, batch_size: 100 }
  })
  const res = await app.inject({ method: 'DELETE', url: '/llm-config', headers: auth })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same({ ...body, updated_at: null, version: null }, { ...initial, updated_at: null, version: null }, 'back to the initial state')
  t.equal(body.api_key_set, false)
  t.ok(body.updated_at > initial.updated_at)
  t.equal((await storedState(app)).rows[0]?.api_key, null)
})

t.test('updated_at moves forward on every write, even writes in quick succession', async (t) => {
  const { app } = await testApp(t)
  let previous = (await app.inject({ method: 'GET', url: '/llm-config' })).json().updated_at
  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { max_retries: i } })
    const updatedAt = res.json().updated_at
    t.ok(updatedAt > previous, `write ${i}: ${updatedAt} > ${previous}`)
    previous = updatedAt
  }
})

t.test('If-Match: current or * applies, stale → 412 and nothing changes', async (t) => {
  const { app } = await testApp(t)
  const { etag } = (await app.inject({ method: 'GET', url: '/llm-config' })).headers

  const ok = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...json, 'if-match': String(etag) }, payload: { batch_size: 8 } })
  t.equal(ok.statusCode, 200)
  t.not(ok.headers.etag, etag)

  const before = await storedState(app)
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const stale = await app.inject({ method, url: '/llm-config', headers: { ...json, 'if-match': String(etag) }, payload: method === 'DELETE' ? undefined : { batch_size: 1 } })
    t.equal(stale.statusCode, 412, `${method} with a stale ETag`)
    t.match(stale.headers['content-type'], /^application\/problem\+json/)
    t.match(stale.json(), { status: 412, title: 'Precondition Failed' })
  }
  const weak = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...json, 'if-match': `W/${before.etag}` }, payload: { batch_size: 1 } })
  t.equal(weak.statusCode, 412, 'If-Match uses the strong comparison: a weak tag never matches')
  t.same(await storedState(app), before, 'no stale write changed anything')

  const star = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...json, 'if-match': '*' }, payload: { batch_size: 3 } })
  t.equal(star.statusCode, 200)
  t.equal(star.json().batch_size, 3)
})

t.test('20 concurrent writes with the same If-Match: exactly one wins, 19 get 412', async (t) => {
  const { app } = await testApp(t)
  const { etag } = (await app.inject({ method: 'GET', url: '/llm-config' })).headers
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject({
    method: 'PATCH',
    url: '/llm-config',
    headers: { ...json, 'if-match': String(etag) },
    payload: { batch_size: 100 + i }
  })))
  const statuses = results.map((res) => res.statusCode)
  t.equal(statuses.filter((s) => s === 200).length, 1, 'one winner')
  t.equal(statuses.filter((s) => s === 412).length, 19, '19 precondition failures')
  const winner = results.find((res) => res.statusCode === 200)
  const now = (await app.inject({ method: 'GET', url: '/llm-config' }))
  t.equal(now.json().batch_size, winner?.json().batch_size, 'the stored value is the winner\'s')
  t.equal(now.headers.etag, winner?.headers.etag)
})

t.test('writes without If-Match are all applied (last writer wins)', async (t) => {
  const { app } = await testApp(t)
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => app.inject({
    method: 'PATCH', url: '/llm-config', headers: json, payload: { concurrent_tasks: 10 + i }
  })))
  t.same(results.map((res) => res.statusCode), Array(10).fill(200))
  const etags = new Set(results.map((res) => res.headers.etag))
  t.equal(etags.size, 10, 'each write made its own state')
})
