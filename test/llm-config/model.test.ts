// Model-based test: random sequences of GET, PUT, PATCH and DELETE (conditional or not)
// against a plain model of what the configuration should be. After every command the status,
// the answer and a fresh GET are checked against the model, and the key through
// /llm-config/credentials. The defaults come from the first GET: the database's column
// defaults stay their only source.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { PROVIDERS } from '../../src/db/providers.js'
import { SETTING_NAMES } from '../../src/llm-config/config/schemas.js'
import { auth, testApp, type TestApp } from '../helper.js'
import { HIGH_LIMITS } from '../support/roles.js'
import { isDeepStrictEqual } from 'node:util'

type Settings = Record<string, unknown>
type Body = Record<string, unknown>
type Precondition = 'none' | 'current' | 'stale' | 'star'

interface Model {
  settings: Settings
  key: string | null
  etag: string
  /** Every earlier ETag: none of them may ever match again. */
  earlier: string[]
  updatedAt: string
}

interface Real {
  app: TestApp['app']
  /** What never changes: the row's id, created_at and the default settings. */
  fixed: { id: number, createdAt: string, defaults: Settings }
  statuses: Map<string, number>
}

const pick = (body: Body): Settings => Object.fromEntries(SETTING_NAMES.filter((name) => name in body).map((name) => [name, body[name]]))

const hintOf = (key: string | null) => key === null ? null : key.length >= 12 ? `…${key.slice(-4)}` : '…'

const violatesRules = (settings: Settings) => settings.backup_model !== null && settings.backup_provider === null

function ifMatch (model: Model, precondition: Precondition): Record<string, string> {
  switch (precondition) {
    case 'none': return {}
    case 'current': return { 'if-match': model.etag }
    case 'star': return { 'if-match': '*' }
    // An ETag this configuration really had, or (before the first write) one it never had.
    case 'stale': return { 'if-match': model.earlier.at(-1) ?? '"never-an-etag-of-this-resource"' }
  }
}

function count (real: Real, what: string) {
  real.statuses.set(what, (real.statuses.get(what) ?? 0) + 1)
}

/** The public representation the model predicts, without updated_at. */
function expected (model: Model, real: Real) {
  return {
    id: real.fixed.id,
    ...model.settings,
    api_key_set: model.key !== null,
    api_key_hint: hintOf(model.key),
    created_at: real.fixed.createdAt
  }
}

/**
 * The fields the model predicts: id, the settings, the key's flags and created_at. updated_at
 * is checked apart (it only moves forward); fields the model knows nothing of are not compared.
 */
function shown (body: Body): Body {
  return Object.fromEntries(['id', ...SETTING_NAMES, 'api_key_set', 'api_key_hint', 'created_at'].map((name) => [name, body[name]]))
}

/** A fresh GET, and the key through the credentials endpoint, agree with the model. */
async function checkStored (model: Model, real: Real, context: string) {
  const res = await real.app.inject({ method: 'GET', url: '/llm-config' })
  assert.equal(res.statusCode, 200, `${context}: GET`)
  assert.equal(res.headers.etag, model.etag, `${context}: the ETag`)
  const body = res.json()
  assert.ok(!('api_key' in body), `${context}: no api_key in a GET`)
  assert.deepEqual(shown(body), expected(model, real), `${context}: the stored state`)
  assert.equal(body.updated_at, model.updatedAt, `${context}: updated_at`)
  const credentials = await real.app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })
  assert.equal(credentials.statusCode, 200, `${context}: credentials`)
  assert.deepEqual(credentials.json(), { api_key: model.key }, `${context}: the stored key`)
}

/** Applies a write's expected outcome to the model and checks the answer against it. */
async function checkWrite (model: Model, real: Real, res: Awaited<ReturnType<Real['app']['inject']>>,
  precondition: Precondition, next: { settings: Settings, key: string | null }, context: string) {
  if (precondition === 'stale') {
    // Preconditions come before the method's own checks (RFC 9110 §13.2.2).
    count(real, '412')
    assert.equal(res.statusCode, 412, `${context}: a stale If-Match`)
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
    assert.equal(res.json().status, 412)
  } else if (violatesRules(next.settings)) {
    count(real, '422')
    assert.equal(res.statusCode, 422, `${context}: backup_model without backup_provider`)
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
    assert.equal(res.json().errors?.[0]?.field, 'backup_model')
  } else if (isDeepStrictEqual(next.settings, model.settings) && next.key === model.key) {
    // Nothing to change: the current state and ETag, no new version.
    count(real, '200')
    assert.equal(res.statusCode, 200, `${context}: ${res.body}`)
    assert.equal(String(res.headers.etag), model.etag, `${context}: a write that changes nothing keeps the ETag`)
    assert.equal(res.json().updated_at, model.updatedAt, `${context}: and updated_at`)
    assert.deepEqual(shown(res.json()), expected(model, real), `${context}: the answer`)
  } else {
    count(real, '200')
    assert.equal(res.statusCode, 200, `${context}: ${res.body}`)
    const body = res.json()
    assert.ok(!('api_key' in body), `${context}: no api_key in a write's answer`)
    assert.ok(body.updated_at > model.updatedAt, `${context}: updated_at moves forward`)
    assert.ok(res.headers.etag, `${context}: an ETag`)
    assert.ok(![model.etag, ...model.earlier].includes(String(res.headers.etag)), `${context}: a new ETag`)
    model.earlier.push(model.etag)
    model.settings = next.settings
    model.key = next.key
    model.etag = String(res.headers.etag)
    model.updatedAt = body.updated_at
    assert.deepEqual(shown(body), expected(model, real), `${context}: the answer`)
  }
  await checkStored(model, real, context)
}

function keyAfter (model: Model, body: Body) {
  return body.api_key === undefined ? model.key : body.api_key as string | null
}

class GetCommand implements fc.AsyncCommand<Model, Real> {
  constructor (readonly ifNoneMatch: 'none' | 'current' | 'stale') {}
  check = () => true
  async run (model: Model, real: Real) {
    const tag = this.ifNoneMatch === 'current' ? model.etag : this.ifNoneMatch === 'stale' ? model.earlier.at(-1) : undefined
    const res = await real.app.inject({ method: 'GET', url: '/llm-config', headers: tag === undefined ? {} : { 'if-none-match': tag } })
    if (this.ifNoneMatch === 'current') {
      count(real, '304')
      assert.equal(res.statusCode, 304, 'If-None-Match with the current ETag')
      assert.equal(res.body, '')
    } else {
      assert.equal(res.statusCode, 200)
      assert.deepEqual(shown(res.json()), expected(model, real))
    }
    assert.equal(res.headers.etag, model.etag)
    await checkStored(model, real, this.toString())
  }

  toString () { return `GET(if-none-match: ${this.ifNoneMatch})` }
}

class PutCommand implements fc.AsyncCommand<Model, Real> {
  /** echo: send the current GET body back, edited by `body` (read-only fields included). */
  constructor (readonly body: Body, readonly precondition: Precondition, readonly echo: boolean) {}
  check = () => true
  async run (model: Model, real: Real) {
    // A client's read-modify-write: the body of a real GET, read-only fields and all.
    const current = this.echo ? (await real.app.inject({ method: 'GET', url: '/llm-config' })).json() : {}
    const payload = { ...current, ...this.body }
    const res = await real.app.inject({
      method: 'PUT', url: '/llm-config', headers: { ...auth, ...ifMatch(model, this.precondition) }, payload
    })
    const next = { settings: { ...real.fixed.defaults, ...pick(payload) }, key: keyAfter(model, payload) }
    await checkWrite(model, real, res, this.precondition, next, this.toString())
  }

  toString () { return `PUT${this.echo ? '(GET body +' : '('} ${JSON.stringify(this.body)}, if-match: ${this.precondition})` }
}

class PatchCommand implements fc.AsyncCommand<Model, Real> {
  constructor (readonly body: Body, readonly precondition: Precondition, readonly mergePatch: boolean) {}
  check = () => true
  async run (model: Model, real: Real) {
    const res = await real.app.inject({
      method: 'PATCH',
      url: '/llm-config',
      headers: {
        ...auth,
        ...ifMatch(model, this.precondition),
        'content-type': this.mergePatch ? 'application/merge-patch+json' : 'application/json'
      },
      payload: JSON.stringify(this.body)
    })
    const next = { settings: { ...model.settings, ...pick(this.body) }, key: keyAfter(model, this.body) }
    await checkWrite(model, real, res, this.precondition, next, this.toString())
  }

  toString () { return `PATCH(${JSON.stringify(this.body)}, if-match: ${this.precondition})` }
}

class DeleteCommand implements fc.AsyncCommand<Model, Real> {
  constructor (readonly precondition: Precondition) {}
  check = () => true
  async run (model: Model, real: Real) {
    const res = await real.app.inject({ method: 'DELETE', url: '/llm-config', headers: { ...auth, ...ifMatch(model, this.precondition) } })
    await checkWrite(model, real, res, this.precondition, { settings: { ...real.fixed.defaults }, key: null }, this.toString())
  }

  toString () { return `DELETE(if-match: ${this.precondition})` }
}

const modelName = fc.oneof(fc.constantFrom('gpt-4o', 'gpt-4o-mini', 'llama3:70b', 'claude-3-5-sonnet'), fc.string({ minLength: 1, maxLength: 100 }))
const provider = fc.constantFrom(...PROVIDERS)
// Around the hint's 12-character threshold, and up to the column's 255.
const apiKey = fc.oneof(fc.string({ minLength: 1, maxLength: 16 }), fc.string({ minLength: 1, maxLength: 255 }))
  .filter((key) => !key.startsWith('…') && !key.startsWith('llmcfg:v1:'))

const body = fc.record({
  provider,
  batch_size: fc.integer({ min: 1, max: 10000 }),
  enabled: fc.boolean(),
  model_responder: fc.option(modelName, { nil: null }),
  api_key: fc.option(apiKey, { nil: null }),
  backup_provider: fc.option(provider, { nil: null, freq: 3 }),
  backup_model: fc.option(modelName, { nil: null, freq: 3 }),
  // Read-only: accepted and ignored.
  api_key_set: fc.boolean(),
  api_key_hint: fc.option(fc.constantFrom('…', '…WXYZ'), { nil: null })
}, { requiredKeys: [] })

const precondition = fc.constantFrom<Precondition>('none', 'none', 'current', 'stale', 'star')

const commands = fc.commands([
  fc.constantFrom<'none' | 'current' | 'stale'>('none', 'current', 'stale').map((tag) => new GetCommand(tag)),
  fc.tuple(body, precondition, fc.boolean()).map(([b, p, echo]) => new PutCommand(b, p, echo)),
  fc.tuple(body, precondition, fc.boolean()).map(([b, p, mergePatch]) => new PatchCommand(b, p, mergePatch)),
  precondition.map((p) => new DeleteCommand(p))
], { maxCommands: 15 })

t.test('model: GET/PUT/PATCH/DELETE, conditional or not, behave like a plain object', async (t) => {
  const { app } = await testApp(t, { env: HIGH_LIMITS })
  const first = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(first.statusCode, 200)
  const initial = first.json()
  const fixed = { id: initial.id, createdAt: initial.created_at, defaults: pick(initial) }
  t.equal(Object.keys(fixed.defaults).length, SETTING_NAMES.length, 'the first GET shows every setting')
  t.equal(initial.api_key_set, false)
  const statuses = new Map<string, number>()

  await fc.assert(fc.asyncProperty(commands, async (cmds) => {
    // Every run starts from the defaults, as DELETE leaves them.
    const reset = await app.inject({ method: 'DELETE', url: '/llm-config', headers: auth })
    assert.equal(reset.statusCode, 200)
    const model: Model = {
      settings: { ...fixed.defaults },
      key: null,
      etag: String(reset.headers.etag),
      earlier: [],
      updatedAt: reset.json().updated_at
    }
    const real: Real = { app, fixed, statuses }
    await checkStored(model, real, 'after the reset')
    await fc.asyncModelRun(() => ({ model, real }), cmds)
  }), { numRuns: 40 })

  // The generators reach every outcome the model knows.
  for (const outcome of ['200', '304', '412', '422']) {
    t.ok((statuses.get(outcome) ?? 0) > 0, `outcome ${outcome} was exercised (${statuses.get(outcome) ?? 0} times)`)
  }
})
