import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { GENERATED_TOKEN_FILE } from '../../src/plugins/app/auth.js'
import { ADMIN_TOKEN, testApp } from '../helper.js'
import { storedState } from '../llm-config/state.js'

const writes = [
  { method: 'PUT', payload: { batch_size: 9 } },
  { method: 'PATCH', payload: { batch_size: 9 } },
  { method: 'DELETE', payload: undefined }
] as const

t.test('writes need the admin bearer token: 401 problem+json otherwise, nothing changes', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  const wrong: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['an empty bearer token', { authorization: 'Bearer ' }],
    ['a wrong token', { authorization: 'Bearer not-the-admin-token-at-all' }],
    ['a prefix of the token', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['the token plus a character', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['a very long token', { authorization: `Bearer ${'x'.repeat(4096)}` }],
    ['Basic credentials', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
    ['the token without the scheme', { authorization: ADMIN_TOKEN }]
  ]
  for (const { method, payload } of writes) {
    for (const [what, headers] of wrong) {
      const res = await app.inject({ method, url: '/llm-config', headers, payload })
      t.equal(res.statusCode, 401, `${method} with ${what}`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      t.match(res.headers['www-authenticate'], /^Bearer/)
      t.match(res.json(), { status: 401, title: 'Unauthorized', type: String, detail: String })
    }
  }
  t.same(await storedState(app), before, 'no unauthorised write changed anything')

  // The scheme is case-insensitive (RFC 9110 §11.1).
  const ok = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { authorization: `bearer ${ADMIN_TOKEN}` }, payload: { batch_size: 9 } })
  t.equal(ok.statusCode, 200)
})

t.test('authentication comes before validation: an invalid body without a token is a 401', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'PATCH', url: '/llm-config', payload: { batch_size: 'lots' } })
  t.equal(res.statusCode, 401)
})

t.test('reads are open', async (t) => {
  const { app } = await testApp(t)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 200)
})

t.test('without any token configured, an admin token is generated into a 0600 file, never logged', async (t) => {
  const { app, logs, config } = await testApp(t, { captureLogs: true, env: { ADMIN_TOKEN: '' } })
  const path = join(config.dataDir, GENERATED_TOKEN_FILE)
  const token = (await readFile(path, 'utf8')).trim()
  t.match(token, /^[A-Za-z0-9_-]{32}$/)
  t.equal((await stat(path)).mode & 0o777, 0o600, 'only the service\'s user can read it')
  const lines = logs().split('\n').filter((line) => line.includes(path))
  t.equal(lines.length, 1, 'the log says once where the token is')
  t.notMatch(logs(), token, 'but never the token itself')
  const denied = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { batch_size: 9 } })
  t.equal(denied.statusCode, 401, 'the usual test token is not valid here')
  const allowed = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { authorization: `Bearer ${token}` }, payload: { batch_size: 9 } })
  t.equal(allowed.statusCode, 200)
})
