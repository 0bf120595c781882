// The change history: one row per version, written with the change; restore; retention;
// cursor pagination; and what a read serves (the replica's copy, or the database on request).
import { randomBytes } from 'node:crypto'
import { asc, sql } from 'drizzle-orm'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.js'
import { llmConfig, llmConfigHistory } from '../../src/db/schema.js'
import { SETTING_NAMES } from '../../src/llm-config/config/schemas.js'
import { auth, backend, reopen, testApp, TEST_ENCRYPTION_KEY } from '../helper.js'
import { headersOf, roleEnv, storedStateAsAdmin } from '../support/roles.js'

const json = { ...auth, 'content-type': 'application/json' }
const KEY_ONE = 'sk-history-one-0123456789ONEE'
const KEY_TWO = 'sk-history-two-9876543210TWOO'
const CIPHERTEXT = /llmcfg:v1:/

/** A write request, as app.inject takes it. */
type Write = InjectOptions & { method: 'PUT' | 'PATCH' | 'DELETE' | 'POST', url: string }

type Entry = { version: number, changed_at: string, actor: string, action: string, changes: Record<string, unknown> }

/** The raw history rows, oldest first. */
const historyRows = (app: App) => app.database.db.select().from(llmConfigHistory).orderBy(asc(llmConfigHistory.version))

/** Every history entry through the API, following `next` from the first page. */
async function allEntries (app: App, limit = 100): Promise<Entry[]> {
  const entries: Entry[] = []
  let url: string | null = `/llm-config/history?limit=${limit}`
  while (url !== null) {
    // With the admin token: tests that configure READER_TOKENS close anonymous reads.
    const res: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: auth })
    if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}`)
    const page = res.json() as { items: Entry[], next: string | null }
    entries.push(...page.items)
    url = page.next
  }
  return entries
}

/** The history as the API and the table show it, for before/after comparisons. */
async function historyState (app: App) {
  const entries = await allEntries(app)
  const rows = await historyRows(app)
  return { entries, rows, versions: rows.map((row) => row.version) }
}

const current = async (app: App) => (await app.inject({ method: 'GET', url: '/llm-config', query: { consistent: 'true' }, headers: auth })).json()

/**
 * Runs one write and checks it added exactly one history row, through the API and in the
 * table, recording the written version with the expected action, actor and changes.
 */
async function expectOneVersion (
  t: Test, app: App, write: () => Promise<LightMyRequestResponse>, given: { action: string, actor: string, changes: Record<string, unknown>, restored_from?: number }
) {
  const expected = { restored_from: null, ...given }
  const before = await historyState(app)
  const previous = await current(app)
  const res = await write()
  t.equal(res.statusCode, 200, `${expected.action}: 200`)
  const body = res.json()
  t.equal(body.version, previous.version + 1, 'the version is the previous one + 1')
  t.equal(res.headers.etag, `"${body.version}"`, 'the ETag is the version')
  const after = await historyState(app)
  t.equal(after.rows.length, before.rows.length + 1, 'exactly one new history row')
  t.same(after.versions, [...before.versions, body.version], 'the new row is the new version')
  t.equal(after.entries.length, before.entries.length + 1, 'exactly one new entry through the API')
  const [entry] = after.entries
  t.strictSame({ ...entry, changed_at: undefined }, { version: body.version, changed_at: undefined, ...expected }, `${expected.action}: action, actor and changes`)
  t.equal(new Date(entry?.changed_at ?? '').toISOString(), entry?.changed_at, 'changed_at is ISO-8601')
  t.strictSame(after.entries.slice(1), before.entries, 'older entries are unchanged')
  const version = await app.inject({ method: 'GET', url: `/llm-config/history/${body.version}` })
  t.strictSame(version.json(), { change: entry, state: body }, 'GET /llm-config/history/{version}: the entry and the state written')
  return body
}

/** The changes between two public states, as the history records them (settings only; the key apart). */
function settingChanges (before: Record<string, unknown>, after: Record<string, unknown>) {
  const changes: Record<string, unknown> = {}
  for (const name of SETTING_NAMES) {
    if (before[name] !== after[name]) changes[name] = { old: before[name], new: after[name] }
  }
  return changes
}

t.test('the first state is version 1, ETag "1", recorded as create by system', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(res.headers.etag, '"1"')
  const state = res.json()
  t.equal(state.version, 1)

  const page = await app.inject({ method: 'GET', url: '/llm-config/history' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^application\/json/)
  const { items, next } = page.json()
  t.equal(next, null, 'one page')
  t.equal(items.length, 1)
  t.match(items[0], { version: 1, actor: 'system', action: 'create' })
  // A creation: every setting is new (from nothing, null, to its initial value); no key.
  t.strictSame(items[0].changes, Object.fromEntries(SETTING_NAMES.map((name) => [name, { old: null, new: state[name] }])))
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config/history/1' })).json(), { change: items[0], state })
  t.equal((await historyRows(app)).length, 1)
})

t.test('each kind of write adds exactly one history row with its action, actor and changes', async (t) => {
  const first = await testApp(t)
  const { app } = first
  const initial = await current(app)

  const patched = await expectOneVersion(t, app,
    () => app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 50, model_responder: 'gpt-4o', version: 999 } }),
    { action: 'update', actor: 'admin', changes: { batch_size: { old: 5, new: 50 }, model_responder: { old: null, new: 'gpt-4o' } } })
  t.equal(patched.version, 2, 'a version in the body is read-only: ignored')

  const keyed = await expectOneVersion(t, app,
    () => app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...auth, 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ api_key: KEY_ONE }) }),
    { action: 'update', actor: 'admin', changes: { api_key: { changed: true } } })
  t.equal(keyed.api_key_hint, '…ONEE', 'the hint, not the key')

  // A write that changes nothing makes no version: the current state and ETag, no history.
  for (const payload of [{}, { batch_size: 50 }, { api_key: KEY_ONE }]) {
    const before = await historyState(app)
    const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload })
    t.equal(res.statusCode, 200, `no-op ${JSON.stringify(Object.keys(payload))}: 200`)
    t.equal(res.json().version, keyed.version, 'no new version')
    t.equal(res.headers.etag, `"${keyed.version}"`, 'the current ETag')
    t.strictSame(await historyState(app), before, 'no history row')
  }

  const put = await expectOneVersion(t, app,
    () => app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { provider: 'openai', model_tagger: 'gpt-4o-mini', min_confidence_entity: 0.9 } }),
    {
      action: 'update',
      actor: 'admin',
      changes: {
        provider: { old: 'local', new: 'openai' },
        model_tagger: { old: 'phi3', new: 'gpt-4o-mini' },
        model_responder: { old: 'gpt-4o', new: null },
        batch_size: { old: 50, new: 5 },
        min_confidence_entity: { old: 0.8, new: 0.9 }
      }
    })
  t.equal(put.api_key_set, true, 'PUT without api_key keeps the key (and records no key change)')

  const reset = await expectOneVersion(t, app,
    () => app.inject({ method: 'DELETE', url: '/llm-config', headers: auth }),
    {
      action: 'reset',
      actor: 'admin',
      changes: {
        provider: { old: 'openai', new: 'local' },
        model_tagger: { old: 'gpt-4o-mini', new: 'phi3' },
        min_confidence_entity: { old: 0.9, new: 0.8 },
        api_key: { changed: true }
      }
    })
  t.strictSame({ ...reset, version: 0, updated_at: '' }, { ...initial, version: 0, updated_at: '' }, 'reset: the initial settings')

  const restored = await expectOneVersion(t, app,
    () => app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: put.version, restore_api_key: true } }),
    { action: 'restore', actor: 'admin', changes: { ...settingChanges(reset, put), api_key: { changed: true } }, restored_from: put.version })
  t.strictSame({ ...restored, version: 0, updated_at: '', api_key_version: 0 }, { ...put, version: 0, updated_at: '', api_key_version: 0 }, 'restore: the settings of that version')
  t.equal(restored.api_key_version, restored.version, 'restore_api_key: the key is set again by this version')

  // Rotation: a replica with a new encryption key (the old one still decrypting) re-encrypts.
  const second = await reopen(t, first, { env: { ENCRYPTION_KEY: randomBytes(32).toString('base64'), ENCRYPTION_KEYS_OLD: TEST_ENCRYPTION_KEY } })
  const rotated = await expectOneVersion(t, second.app, async () => {
    t.equal(await second.app.llmConfig.rotate(), 'rotated')
    return await second.app.inject({ method: 'GET', url: '/llm-config', query: { consistent: 'true' } })
  }, { action: 'rotate', actor: 'system', changes: { api_key: { changed: true } } })
  t.strictSame({ ...rotated, version: 0, updated_at: '' }, { ...restored, version: 0, updated_at: '' }, 'rotation changes no visible setting')
  t.same((await second.app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: KEY_ONE })

  const unchanged = await historyState(second.app)
  t.equal(await second.app.llmConfig.rotate(), 'unchanged', 'nothing left to rotate')
  t.same(await historyState(second.app), unchanged, 'a rotation with nothing to do records nothing')
})

t.test('the actor is the token\'s name', async (t) => {
  const opsToken = 'ops-token-0123456789abcdef'
  const { app } = await testApp(t, { env: { ADMIN_TOKENS: `ops:${opsToken},deploy-bot:deploy-token-abcdef0123456789` } })
  const as = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })
  await expectOneVersion(t, app,
    () => app.inject({ method: 'PATCH', url: '/llm-config', headers: as(opsToken), payload: { enabled: true } }),
    { action: 'update', actor: 'ops', changes: { enabled: { old: false, new: true } } })
  await expectOneVersion(t, app,
    () => app.inject({ method: 'DELETE', url: '/llm-config', headers: auth }),
    { action: 'reset', actor: 'admin', changes: { enabled: { old: true, new: false } } })
  await expectOneVersion(t, app,
    () => app.inject({ method: 'POST', url: '/llm-config/restore', headers: as('deploy-token-abcdef0123456789'), payload: { version: 2 } }),
    { action: 'restore', actor: 'deploy-bot', changes: { enabled: { old: false, new: true } }, restored_from: 2 })
})

t.test('a rejected write of any kind records nothing', async (t) => {
  const { app } = await testApp(t, { env: roleEnv({ readers: true }) })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY_ONE, batch_size: 8 } })
  const stale = String((await app.inject({ method: 'GET', url: '/llm-config', headers: auth })).headers.etag)
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 9 } })
  const beforeHistory = await historyState(app)
  const before = await storedStateAsAdmin(app)

  const writes = (headers: Record<string, string>, body: Record<string, unknown> = { batch_size: 1 }): Write[] => [
    { method: 'PUT' as const, url: '/llm-config', headers, payload: body },
    { method: 'PATCH' as const, url: '/llm-config', headers, payload: body },
    { method: 'DELETE' as const, url: '/llm-config', headers },
    { method: 'POST' as const, url: '/llm-config/restore', headers, payload: { version: 1 } }
  ]
  const cases: Array<{ status: number, request: Write }> = [
    // 400: malformed JSON, a schema violation, a forbidden key, a bad restore body
    ...(['PUT', 'PATCH', 'POST'] as const).map((method) => ({
      status: 400, request: { method, url: method === 'POST' ? '/llm-config/restore' : '/llm-config', headers: json, payload: '{"batch_size": ' }
    })),
    { status: 400, request: { method: 'PUT', url: '/llm-config', headers: json, payload: { batch_size: 0 } } },
    { status: 400, request: { method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: '5' } } },
    { status: 400, request: { method: 'PATCH', url: '/llm-config', headers: json, payload: { version: 'seven' } } },
    { status: 400, request: { method: 'PATCH', url: '/llm-config', headers: json, payload: '{"__proto__": {"x": 1}}' } },
    { status: 400, request: { method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 0 } } },
    { status: 400, request: { method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: '1' } } },
    { status: 400, request: { method: 'POST', url: '/llm-config/restore', headers: json, payload: {} } },
    { status: 400, request: { method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 1, batch_size: 3 } } },
    // 401: no token, an unknown token
    ...writes({ 'content-type': 'application/json' }).map((request) => ({ status: 401, request })),
    ...writes({ ...headersOf('unknown'), 'content-type': 'application/json' }).map((request) => ({ status: 401, request })),
    // 403: tokens that may read (and reveal) but not write
    ...writes({ ...headersOf('reader'), 'content-type': 'application/json' }).map((request) => ({ status: 403, request })),
    ...writes({ ...headersOf('consumer'), 'content-type': 'application/json' }).map((request) => ({ status: 403, request })),
    // 412: a stale If-Match, and a weak one
    ...writes({ ...json, 'if-match': stale }).map((request) => ({ status: 412, request })),
    { status: 412, request: { method: 'POST', url: '/llm-config/restore', headers: { ...json, 'if-match': `W/${before.etag}` }, payload: { version: 1 } } },
    // 413: too large
    { status: 413, request: { method: 'PATCH', url: '/llm-config', headers: json, payload: JSON.stringify({ model_tagger: 'x'.repeat(1024 * 1024 + 1) }) } },
    // 415: not JSON, and a merge patch sent with PUT
    { status: 415, request: { method: 'PATCH', url: '/llm-config', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'batch_size=1' } },
    { status: 415, request: { method: 'PUT', url: '/llm-config', headers: { ...auth, 'content-type': 'application/merge-patch+json' }, payload: '{"batch_size": 1}' } },
    { status: 415, request: { method: 'POST', url: '/llm-config/restore', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'version=1' } },
    // 422: the result breaks a rule; an unknown version
    { status: 422, request: { method: 'PATCH', url: '/llm-config', headers: json, payload: { backup_model: 'gpt-4o' } } },
    { status: 422, request: { method: 'PUT', url: '/llm-config', headers: json, payload: { backup_model: 'gpt-4o', api_key: KEY_TWO } } },
    { status: 422, request: { method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 999 } } }
  ]
  for (const { status, request } of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, `${request.method} ${request.url} ${JSON.stringify(request.headers)} → ${status}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  const rotate = await app.llmConfig.rotate()
  t.equal(rotate, 'unchanged', 'rotate under the current key: nothing to do')

  t.same(await historyState(app), beforeHistory, 'no history row, through the API or in the table')
  t.same(await storedStateAsAdmin(app), before, 'and the configuration did not change')
})

t.test('a write refused by the write rate limit (429) records nothing', async (t) => {
  const { app } = await testApp(t, { env: { WRITE_RATE_LIMIT: '2' } })
  t.equal((await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 6 } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 1 } })).statusCode, 200)
  const before = await historyState(app)
  for (const request of [
    { method: 'PUT' as const, url: '/llm-config', headers: json, payload: { batch_size: 7 } },
    { method: 'PATCH' as const, url: '/llm-config', headers: json, payload: { batch_size: 7 } },
    { method: 'DELETE' as const, url: '/llm-config', headers: auth },
    { method: 'POST' as const, url: '/llm-config/restore', headers: json, payload: { version: 2 } }
  ]) {
    const res = await app.inject(request)
    t.equal(res.statusCode, 429, `${request.method} ${request.url}`)
    t.ok(res.headers['retry-after'])
  }
  t.same(await historyState(app), before)
  t.same(before.versions, [1, 2, 3])
})

t.test('the API key never appears in the history: not in answers, only as ciphertext in the stored snapshot', async (t) => {
  const first = await testApp(t, { captureLogs: true })
  const { app } = first
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY_ONE, provider: 'openai' } })
  await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { api_key: KEY_TWO, provider: 'anthropic' } })
  await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 2, restore_api_key: true } })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 11 } })
  await app.inject({ method: 'DELETE', url: '/llm-config', headers: auth })
  await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 3, restore_api_key: true } })

  const secrets = [KEY_ONE, KEY_TWO]
  const rows = await historyRows(app)
  t.same(rows.map((row) => row.version), [1, 2, 3, 4, 5, 6, 7])
  const answers = [
    await app.inject({ method: 'GET', url: '/llm-config/history' }),
    ...await Promise.all(rows.map((row) => app.inject({ method: 'GET', url: `/llm-config/history/${row.version}` })))
  ]
  for (const res of answers) {
    t.equal(res.statusCode, 200)
    for (const secret of secrets) t.notMatch(res.body, secret, `${res.raw.req.url}: no plaintext key`)
    t.notMatch(res.body, CIPHERTEXT, `${res.raw.req.url}: no ciphertext`)
    const body = res.json()
    for (const entry of body.items ?? [body.change]) {
      t.notOk('api_key' in (body.state ?? {}), `${res.raw.req.url}: the state has no api_key field`)
      if ('api_key' in entry.changes) t.strictSame(entry.changes.api_key, { changed: true }, `${res.raw.req.url}: a key change is only {changed: true}`)
    }
  }
  const expectedKeys: Record<number, string | null> = { 1: null, 2: KEY_ONE, 3: KEY_TWO, 4: KEY_ONE, 5: KEY_ONE, 6: null, 7: KEY_TWO }
  for (const row of rows) {
    const { api_key: stored, ...snapshot } = row.snapshot
    const text = JSON.stringify({ ...row, snapshot })
    for (const secret of secrets) t.notMatch(text, secret, `version ${row.version}: no plaintext key anywhere in the row`)
    t.notMatch(text, CIPHERTEXT, `version ${row.version}: the ciphertext is only in snapshot.api_key`)
    const plaintext = expectedKeys[row.version]
    if (plaintext === null) t.equal(stored, null, `version ${row.version}: no key`)
    else {
      t.match(stored, /^llmcfg:v1:/, `version ${row.version}: the snapshot keeps the key as ciphertext`)
      t.equal(app.keyring.decrypt(String(stored)), plaintext, `version ${row.version}: which decrypts to that version's key`)
    }
    const change = row.changes.api_key
    if (change !== undefined) t.strictSame(change, { changed: true }, `version ${row.version}: a key change is only {changed: true}`)
  }
  for (const secret of secrets) t.notMatch(first.logs(), secret, 'nor in the log')
})

t.test('restore: the state and key of version N again, as a new version; If-Match honoured', async (t) => {
  const { app } = await testApp(t)
  const target = (await app.inject({
    method: 'PATCH',
    url: '/llm-config',
    headers: json,
    payload: { provider: 'anthropic', api_key: KEY_ONE, batch_size: 20, backup_provider: 'openai', backup_model: 'gpt-4o', min_confidence_tagging: 0.55 }
  })).json()
  await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { provider: 'groq', api_key: KEY_TWO, max_retries: 9 } })
  const latest = await app.inject({ method: 'GET', url: '/llm-config' })
  const stateOfTarget = (await app.inject({ method: 'GET', url: `/llm-config/history/${target.version}` })).json().state
  t.strictSame(stateOfTarget, target, 'GET /llm-config/history/{version} shows that version\'s state')

  // A stale If-Match: 412, nothing recorded.
  const before = await historyState(app)
  const refused = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: { ...json, 'if-match': `"${target.version}"` }, payload: { version: target.version } })
  t.equal(refused.statusCode, 412)
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.match(refused.json(), { status: 412 })
  t.same(await historyState(app), before)

  const res = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: { ...json, 'if-match': String(latest.headers.etag) }, payload: { version: target.version, restore_api_key: true } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const restored = res.json()
  t.equal(restored.version, latest.json().version + 1, 'a new version')
  t.equal(res.headers.etag, `"${restored.version}"`)
  t.strictSame({ ...restored, version: 0, updated_at: '', api_key_version: 0 }, { ...target, version: 0, updated_at: '', api_key_version: 0 }, 'the settings of version N, hint included')
  t.ok(restored.updated_at > latest.json().updated_at, 'updated_at moves forward')
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config' })).json(), restored, 'what a read shows')
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: KEY_ONE }, 'the key of version N')
  const [entry] = (await app.inject({ method: 'GET', url: '/llm-config/history?limit=1' })).json().items
  t.strictSame(entry.changes, { ...settingChanges(latest.json(), target), api_key: { changed: true } })
  t.match(entry, { version: restored.version, action: 'restore', actor: 'admin', restored_from: target.version })

  // If-Match: * applies; restoring version 1 brings back the defaults and no key.
  const star = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: { ...json, 'if-match': '*' }, payload: { version: 1, restore_api_key: true } })
  t.equal(star.statusCode, 200)
  const initial = (await app.inject({ method: 'GET', url: '/llm-config/history/1' })).json().state
  t.strictSame({ ...star.json(), version: 0, updated_at: '' }, { ...initial, version: 0, updated_at: '' })
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: null })

  // Unknown versions: 422 pointing at #/version; 404 for reading them.
  for (const version of [star.json().version + 1, 9_999_999]) {
    const unknown = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version } })
    t.equal(unknown.statusCode, 422, `restore ${version}`)
    t.match(unknown.headers['content-type'], /^application\/problem\+json/)
    t.match(unknown.json(), { status: 422, errors: [{ pointer: '#/version' }] })
    const read = await app.inject({ method: 'GET', url: `/llm-config/history/${version}` })
    t.equal(read.statusCode, 404, `GET /llm-config/history/${version}`)
    t.match(read.headers['content-type'], /^application\/problem\+json/)
    t.match(read.json(), { status: 404 })
  }
  for (const version of ['0', 'abc', '1.5']) {
    t.equal((await app.inject({ method: 'GET', url: `/llm-config/history/${version}` })).statusCode, 400, `GET /llm-config/history/${version}`)
  }
})

t.test('pagination: newest first, limits, and a cursor that never skips or repeats while writes happen', async (t) => {
  const { app } = await testApp(t)
  for (let i = 0; i < 24; i++) await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 10 + i } })

  const first = await app.inject({ method: 'GET', url: '/llm-config/history' })
  t.equal(first.json().items.length, 20, 'limit defaults to 20')
  t.same(first.json().items.map((entry: Entry) => entry.version), Array.from({ length: 20 }, (_, i) => 25 - i), 'newest first')
  t.equal(first.json().next, '/llm-config/history?limit=20&before=6')

  for (const limit of ['0', '101', '-1', 'ten', '2.5']) {
    const res = await app.inject({ method: 'GET', url: `/llm-config/history?limit=${limit}` })
    t.equal(res.statusCode, 400, `limit=${limit}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  t.equal((await app.inject({ method: 'GET', url: '/llm-config/history?before=0' })).statusCode, 400, 'before=0')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config/history?limit=100' })).json().items.length, 25, 'limit=100')
  t.same((await app.inject({ method: 'GET', url: '/llm-config/history?limit=2&before=3' })).json(), {
    items: (await allEntries(app)).filter((entry) => entry.version < 3),
    next: null
  }, 'the last page has no next')

  // Follow `next` with limit=4 while two writes land between (and during) every page fetch.
  const seen: number[] = []
  let url: string | null = '/llm-config/history?limit=4'
  let top = 0
  let writes = 0
  while (url !== null) {
    const [page]: LightMyRequestResponse[] = await Promise.all([
      app.inject({ method: 'GET', url }),
      ...Array.from({ length: 2 }, () => app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { max_retries: writes++ % 100 } }))
    ])
    const body = page?.json() as { items: Entry[], next: string | null }
    t.ok(body.items.length <= 4)
    if (top === 0) top = body.items[0]?.version ?? 0
    seen.push(...body.items.map((entry) => entry.version))
    url = body.next
  }
  t.ok(top >= 25, 'the first page starts at the newest version when it was read')
  t.same(seen, Array.from({ length: top }, (_, i) => top - i), 'every version from the first page down to 1, once each, in order')
  t.equal((await allEntries(app)).length, 25 + writes, 'and the writes were all recorded')
})

t.test('HISTORY_RETAIN keeps the last N versions, the current one always', async (t) => {
  const { app } = await testApp(t, { env: { HISTORY_RETAIN: '3' } })
  for (let i = 0; i < 9; i++) await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 10 + i } })
  const state = await historyState(app)
  t.same(state.versions, [8, 9, 10], 'the table keeps the last 3')
  t.same(state.entries.map((entry) => entry.version), [10, 9, 8], 'and the API lists them')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config/history/7' })).statusCode, 404, 'a pruned version is gone')
  const pruned = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 7 } })
  t.equal(pruned.statusCode, 422, 'and cannot be restored')
  t.match(pruned.json(), { errors: [{ pointer: '#/version' }] })

  const restored = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 8 } })
  t.equal(restored.statusCode, 200)
  t.equal(restored.json().batch_size, 16)
  t.same((await historyState(app)).versions, [9, 10, 11])

  const one = await testApp(t, { env: { HISTORY_RETAIN: '1' } })
  t.same((await historyState(one.app)).versions, [1])
  for (const request of [
    { method: 'PATCH' as const, url: '/llm-config', headers: json, payload: { enabled: true } },
    { method: 'POST' as const, url: '/llm-config/restore', headers: json, payload: { version: 2 } },
    { method: 'DELETE' as const, url: '/llm-config', headers: auth }
  ]) {
    const res = await one.app.inject(request)
    t.equal(res.statusCode, 200, `${request.method} ${request.url}`)
    const { versions, entries } = await historyState(one.app)
    t.same(versions, [res.json().version], 'only the current version is kept')
    t.equal(entries[0]?.version, res.json().version)
    t.strictSame((await one.app.inject({ method: 'GET', url: `/llm-config/history/${res.json().version}` })).json().state, res.json())
  }
})

t.test('20 concurrent conditional writers of every kind: one winner, one history row', async (t) => {
  const first = await testApp(t)
  const { app } = first
  // On PostgreSQL the writers are spread over two replicas of the same database.
  const apps = backend === 'postgres' ? [app, (await reopen(t, first)).app] : [app]
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY_ONE } })
  const { headers: { etag } } = await app.inject({ method: 'GET', url: '/llm-config' })
  const before = await historyState(app)
  const headers = { ...json, 'if-match': String(etag) }
  const kinds = [
    (i: number) => ({ method: 'PATCH' as const, url: '/llm-config', headers, payload: { batch_size: 100 + i } }),
    (i: number) => ({ method: 'PUT' as const, url: '/llm-config', headers, payload: { batch_size: 100 + i } }),
    () => ({ method: 'DELETE' as const, url: '/llm-config', headers }),
    () => ({ method: 'POST' as const, url: '/llm-config/restore', headers, payload: { version: 1 } })
  ]
  const requests = Array.from({ length: 20 }, (_, i) => kinds[i % 4]?.(i) ?? kinds[0]!(i))
  const results = await Promise.all(requests.map((request, i) => apps[Math.floor(i / 4) % apps.length]!.inject(request)))
  const statuses = results.map((res) => res.statusCode)
  t.equal(statuses.filter((s) => s === 200).length, 1, 'one winner')
  t.equal(statuses.filter((s) => s === 412).length, 19, '19 precondition failures')

  const winner = results.findIndex((res) => res.statusCode === 200)
  const written = results[winner]?.json()
  const after = await historyState(app)
  t.same(after.versions, [...before.versions, written.version], 'exactly one new history row: the winner\'s')
  t.equal(after.entries.length, before.entries.length + 1)
  const expectedAction = { PATCH: 'update', PUT: 'update', DELETE: 'reset', POST: 'restore' }[requests[winner]?.method ?? 'PATCH']
  t.match(after.entries[0], { version: written.version, action: expectedAction, actor: 'admin' })
  t.equal(written.version, Number(JSON.parse(String(etag))) + 1)
  t.strictSame(await current(app), written, 'the stored state is the winner\'s')
})

t.test('the ETag is the version, strong; If-None-Match with it → 304', async (t) => {
  const { app } = await testApp(t)
  for (let i = 0; i < 3; i++) {
    const write = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { version: 1, retry_delay: 60 + i } })
    const version = write.json().version
    t.equal(version, i + 2, 'version increases by one per change, whatever the body says')
    t.equal(write.headers.etag, `"${version}"`)
    const read = await app.inject({ method: 'GET', url: '/llm-config' })
    t.equal(read.headers.etag, `"${version}"`)
    t.equal(read.json().version, version)
    const notModified = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-none-match': `"${version}"` } })
    t.equal(notModified.statusCode, 304)
    t.equal(notModified.headers.etag, `"${version}"`)
    const modified = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-none-match': `"${version - 1}"` } })
    t.equal(modified.statusCode, 200)
  }
  // A GET body sent back with PUT carries its version: accepted, ignored.
  const body = (await app.inject({ method: 'GET', url: '/llm-config' })).json()
  const same = await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { ...body, version: 1 } })
  t.equal(same.statusCode, 200)
  t.equal(same.json().version, body.version, 'the same values: no change, no new version')
  const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { ...body, version: 1, batch_size: 77 } })
  t.equal(put.statusCode, 200)
  t.equal(put.json().version, body.version + 1)
})

t.test('reads come from the replica\'s copy; Cache-Control: no-cache and ?consistent=true read the database', async (t) => {
  const { app } = await testApp(t)
  const initial = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(initial.headers.etag, '"1"')
  // A change behind the replica's back (no NOTIFY): only a consistent read can see it.
  const sneak = (batchSize: number) => app.database.db.update(llmConfig).set({ batch_size: batchSize, version: sql`${llmConfig.version} + 1` })

  await sneak(41)
  const cached = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(cached.headers.etag, '"1"', 'a plain read serves the copy')
  t.equal(cached.json().batch_size, 5)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config', query: { consistent: 'false' } })).headers.etag, '"1"', '?consistent=false too')
  const noCache = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'cache-control': 'no-cache' } })
  t.equal(noCache.headers.etag, '"2"', 'Cache-Control: no-cache reads the database')
  t.equal(noCache.json().batch_size, 41)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).headers.etag, '"2"', 'and refreshes the copy (never older than what was served)')

  await sneak(42)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config', headers: { 'if-none-match': '"2"' } })).statusCode, 304, 'the copy is still version 2')
  const consistent = await app.inject({ method: 'GET', url: '/llm-config', query: { consistent: 'true' }, headers: { 'if-none-match': '"2"' } })
  t.equal(consistent.statusCode, 200, '?consistent=true reads the database: version 3')
  t.equal(consistent.headers.etag, '"3"')
  t.equal(consistent.json().batch_size, 42)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config', query: { consistent: 'true' }, headers: { 'if-none-match': '"3"' } })).statusCode, 304)

  // A write through the API is served at once from the copy (read your writes).
  const write = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 43 } })
  t.equal(write.json().version, 4)
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config' })).json(), write.json())
})

t.test('versions beyond any possible version are 400, not a database error', async (t) => {
  const { app } = await testApp(t)
  const huge = '99999999999999999999'
  for (const url of [`/llm-config/history?before=${huge}`, `/llm-config/history/${huge}`]) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  const restore = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: `{"version": ${huge}}` })
  t.equal(restore.statusCode, 400)
  t.match(restore.json(), { errors: [{ field: 'version' }] })
})

t.test('the last page has next: null, also when HISTORY_RETAIN pruned what lies beyond', async (t) => {
  const { app } = await testApp(t, { env: { HISTORY_RETAIN: '4' } })
  for (let i = 0; i < 9; i++) await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 10 + i } })
  const first = (await app.inject({ method: 'GET', url: '/llm-config/history?limit=2' })).json()
  t.same(first.items.map((item: { version: number }) => item.version), [10, 9])
  const second = (await app.inject({ method: 'GET', url: first.next })).json()
  t.same(second.items.map((item: { version: number }) => item.version), [8, 7])
  t.equal(second.next, null, 'versions below 7 were pruned: no empty page to follow')
})

t.test('HEAD /llm-config/watch does not exist (it would hold a watcher forever): 405, Allow: GET, OPTIONS', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'HEAD', url: '/llm-config/watch' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, 'GET, OPTIONS')
})

t.test('restore keeps the current key unless restore_api_key asks for the old one: a revoked key stays revoked', async (t) => {
  const { app } = await testApp(t)
  const old = (await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY_ONE, batch_size: 30 } })).json()
  const rotated = (await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: KEY_TWO, batch_size: 40 } })).json()
  t.equal(rotated.api_key_version, rotated.version, 'api_key_version: the version that set the key')

  const res = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: old.version } })
  t.equal(res.statusCode, 200)
  const restored = res.json()
  t.equal(restored.batch_size, 30, 'the settings of that version')
  t.equal(restored.api_key_hint, rotated.api_key_hint, 'the current key\'s hint')
  t.equal(restored.api_key_version, rotated.api_key_version, 'the key did not change')
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: KEY_TWO }, 'the current key, not the revoked one')
  const [entry] = (await app.inject({ method: 'GET', url: '/llm-config/history?limit=1' })).json().items
  t.strictSame(entry.changes, { batch_size: { old: 40, new: 30 } }, 'no key change recorded')
  t.equal(entry.restored_from, old.version, 'restored_from names the version brought back')

  const withKey = (await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: old.version, restore_api_key: true } })).json()
  t.equal(withKey.api_key_version, withKey.version, 'restore_api_key: the old key is set again, as a new key version')
  t.strictSame((await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })).json(), { api_key: KEY_ONE })

  const again = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: old.version, restore_api_key: true } })
  t.equal(again.json().version, withKey.version, 'restoring the state already stored is no change: no new version')
})
