// The API key never appears in a response, a log line or an error, whatever happens.
import { sql } from 'drizzle-orm'
import t from 'tap'
import { auth, testApp } from './helper.js'

const KEY = 'sk-live-SECRET-4f1c2b7e9d0a'
const json = { ...auth, 'content-type': 'application/json' }

t.test('the key is in no response and no log line, even at trace level', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true, env: { LOG_LEVEL: 'trace' } })
  const responses = [
    await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { api_key: KEY, provider: 'openai' } }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY } }),
    await app.inject({ method: 'GET', url: '/llm-config' }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY, batch_size: 'x' } }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY, backup_model: 'm', backup_provider: null } }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: `{"api_key": ${KEY}` }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...json, authorization: `Bearer ${KEY}` }, payload: { api_key: KEY } }),
    await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...json, 'if-match': '"stale"' }, payload: { api_key: KEY } }),
    await app.inject({ method: 'GET', url: '/docs/json' })
  ]
  t.same(responses.map((res) => res.statusCode), [200, 200, 200, 400, 422, 400, 401, 412, 200])
  for (const res of responses) {
    t.notMatch(res.body, KEY)
    t.notMatch(JSON.stringify(res.headers), KEY)
  }
  t.ok(logs().length > 0, 'something was logged')
  t.notMatch(logs(), KEY, 'no log line carries the key')
  t.notMatch(logs(), auth.authorization.split(' ')[1] as string, 'no log line carries the admin token')
})

t.test('a database error during a write: 500 without internals, and the log has no key', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true })
  // Make the database itself refuse one value, so the write fails inside the query that carries the key.
  await app.database.db.execute(sql.raw('alter table llm_config add constraint test_refuse check (batch_size <> 4242)'))
  t.teardown(() => app.database.db.execute(sql.raw('alter table llm_config drop constraint if exists test_refuse')))
  const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY, batch_size: 4242 } })
  t.equal(res.statusCode, 500)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(Object.keys(res.json()).sort(), ['detail', 'status', 'title', 'type'])
  t.notMatch(res.body, /llm_config|constraint|select|update|4242/i, 'no SQL, table or value in the answer')
  t.notMatch(res.body, KEY)
  t.match(logs(), /request failed/, 'the failure is logged')
  t.match(logs(), /23514/, 'with its SQLSTATE (check_violation)')
  t.notMatch(logs(), KEY, 'but never the key')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).json().api_key_set, false, 'and nothing was written')
})
