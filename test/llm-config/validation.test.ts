import fc from 'fast-check'
import t from 'tap'
import { PROVIDERS } from '../../src/db/providers.js'
import { auth, testApp } from '../helper.js'
import { storedState } from './state.js'

const json = { ...auth, 'content-type': 'application/json' }

// Each body is wrong in one way; the field named is the one the error must point at.
const invalidBodies: Array<[string, Record<string, unknown>, string]> = [
  ['an unknown field', { enabeld: true }, 'enabeld'],
  ['a string for an integer', { batch_size: '5' }, 'batch_size'],
  ['a string for a boolean', { enabled: 'true' }, 'enabled'],
  ['a number for a boolean', { cache_responses: 1 }, 'cache_responses'],
  ['a float for an integer', { max_retries: 2.5 }, 'max_retries'],
  ['a number for a string', { model_tagger: 3 }, 'model_tagger'],
  ['an unknown provider', { provider: 'skynet' }, 'provider'],
  ['an unknown backup provider', { backup_provider: 'OpenAI' }, 'backup_provider'],
  ['null for a non-nullable setting', { model_enricher: null }, 'model_enricher'],
  ['an empty model name', { model_analytics: '' }, 'model_analytics'],
  ['a 101-character model name', { model_responder: 'm'.repeat(101) }, 'model_responder'],
  ['an empty api_key', { api_key: '' }, 'api_key'],
  ['a 256-character api_key', { api_key: 'k'.repeat(256) }, 'api_key'],
  ['a relative api_url', { api_url: '/v1' }, 'api_url'],
  ['an ftp api_url', { api_url: 'ftp://models.example.com' }, 'api_url'],
  ['an api_url without //', { api_url: 'http:example.com' }, 'api_url'],
  ['an api_url with spaces', { api_url: 'http://exa mple.com' }, 'api_url'],
  ['a 256-character api_url', { api_url: `https://example.com/${'a'.repeat(236)}` }, 'api_url'],
  ['max_retries below 0', { max_retries: -1 }, 'max_retries'],
  ['max_retries above 100', { max_retries: 101 }, 'max_retries'],
  ['retry_delay above a day', { retry_delay: 86401 }, 'retry_delay'],
  ['batch_size 0', { batch_size: 0 }, 'batch_size'],
  ['batch_size above 10000', { batch_size: 10001 }, 'batch_size'],
  ['concurrent_tasks 0', { concurrent_tasks: 0 }, 'concurrent_tasks'],
  ['concurrent_tasks above 1024', { concurrent_tasks: 1025 }, 'concurrent_tasks'],
  ['a confidence above 1', { min_confidence_tagging: 1.01 }, 'min_confidence_tagging'],
  ['a negative confidence', { min_confidence_entity: -0.1 }, 'min_confidence_entity'],
  ['a read-only field of the wrong type', { id: 'one' }, 'id'],
  ['a nested object', { provider: { name: 'openai' } }, 'provider']
]

t.test('a schema violation → 400 problem+json naming the field, and nothing changes', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { api_key: 'sk-keep-me', batch_size: 42 } })
  const before = await storedState(app)
  for (const method of ['PUT', 'PATCH'] as const) {
    for (const [what, body, field] of invalidBodies) {
      const res = await app.inject({ method, url: '/llm-config', headers: json, payload: { max_retries: 7, ...body } })
      t.equal(res.statusCode, 400, `${method} ${what}`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      const problem = res.json()
      t.match(problem, { type: String, title: String, status: 400, detail: String })
      t.ok(problem.errors.some((error: { field: string, pointer: string }) => error.field === field && error.pointer === `#/${field}`),
        `${method} ${what}: the error names ${field}`)
    }
  }
  t.same(await storedState(app), before, 'no rejected write changed the state or its ETag')
})

t.test('all offending fields are reported at once', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 0, provider: 'x', colour: 'blue' } })
  t.equal(res.statusCode, 400)
  t.same(res.json().errors.map((error: { field: string }) => error.field).sort(), ['batch_size', 'colour', 'provider'])
})

t.test('a rule on the resulting state → 422, nothing changes', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  const orphan = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { backup_model: 'gpt-4o-mini' } })
  t.equal(orphan.statusCode, 422)
  t.match(orphan.headers['content-type'], /^application\/problem\+json/)
  t.match(orphan.json(), { status: 422, errors: [{ field: 'backup_model', pointer: '#/backup_model' }] })
  t.same(await storedState(app), before)

  const paired = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { backup_model: 'gpt-4o-mini', backup_provider: 'openai' } })
  t.equal(paired.statusCode, 200)
  const afterPair = await storedState(app)

  // Clearing the provider alone would leave the model orphaned: PATCH and PUT both check the result.
  const clear = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { backup_provider: null } })
  t.equal(clear.statusCode, 422)
  const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { backup_model: 'x' } })
  t.equal(put.statusCode, 422)
  t.same(await storedState(app), afterPair)
})

t.test('bodies that are not JSON objects', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  const cases: Array<[string, Record<string, string>, string, number, RegExp]> = [
    ['malformed JSON', json, '{"batch_size": 5', 400, /not valid JSON/],
    ['malformed JSON quoting a key', json, '{"api_key": sk-secret-value}', 400, /not valid JSON/],
    ['a __proto__ key', json, '{"__proto__": {"admin": true}, "batch_size": 5}', 400, /forbidden key/],
    ['a constructor.prototype key', json, '{"constructor": {"prototype": {"admin": true}}}', 400, /forbidden key/],
    ['a JSON array', json, '[1, 2]', 400, /body/],
    ['a JSON string', json, '"enabled"', 400, /body/],
    ['JSON null', json, 'null', 400, /body/],
    ['no body', json, '', 400, /body/],
    ['text/plain', { ...auth, 'content-type': 'text/plain' }, '{"batch_size": 5}', 415, /Unsupported Media Type/],
    ['form data', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, 'batch_size=5', 415, /Unsupported Media Type/],
    ['no content type', auth, '{"batch_size": 5}', 415, /Unsupported Media Type/]
  ]
  const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: { ...auth, 'content-type': 'application/merge-patch+json' }, payload: '{"batch_size": 5}' })
  t.equal(put.statusCode, 415, 'a merge patch sent with PUT')
  t.match(put.json().detail, /PATCH/)
  for (const method of ['PUT', 'PATCH'] as const) {
    for (const [what, headers, payload, status, detail] of cases) {
      const res = await app.inject({ method, url: '/llm-config', headers, payload })
      t.equal(res.statusCode, status, `${method} ${what} → ${status}`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      t.match(res.json().detail, detail)
      t.notMatch(res.body, 'sk-secret-value', 'a syntax error never quotes the body')
    }
  }
  const big = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: JSON.stringify({ model_tagger: 'x'.repeat(1024 * 1024) }) })
  t.equal(big.statusCode, 413, 'a body over 1 MiB')
  t.match(big.headers['content-type'], /^application\/problem\+json/)
  t.same(await storedState(app), before, 'nothing changed')
})

t.test('media types are compared case-insensitively and without parameters (RFC 9110 §8.3.1); a 415 says what is accepted', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  for (const type of ['Application/Merge-Patch+JSON', 'application/merge-patch+json; charset=utf-8', ' APPLICATION/MERGE-PATCH+JSON ;charset=UTF-8']) {
    const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: { ...auth, 'content-type': type }, payload: '{"batch_size": 22}' })
    t.equal(put.statusCode, 415, `PUT with ${type} → 415, never a replace that resets the other settings`)
    t.match(put.json(), { status: 415, title: 'Unsupported Media Type', detail: /PUT \/llm-config takes application\/json\. Send a merge patch with PATCH\./ })
    t.equal(put.headers.accept, 'application/json', 'Accept: what PUT takes')
    t.equal(put.headers['accept-patch'], 'application/merge-patch+json, application/json', 'Accept-Patch: where a merge patch goes')
  }
  t.same(await storedState(app), before, 'nothing changed')

  for (const type of ['Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
    const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: { ...auth, 'content-type': type }, payload: '{"batch_size": 23}' })
    t.equal(put.statusCode, 200, `PUT with ${type} is JSON`)
  }
  for (const type of ['Application/Merge-Patch+JSON', 'application/merge-patch+json; charset=utf-8', 'APPLICATION/JSON']) {
    const patch = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...auth, 'content-type': type }, payload: '{"batch_size": 24}' })
    t.equal(patch.statusCode, 200, `PATCH with ${type}`)
  }

  const patch = await app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'batch_size=1' })
  t.equal(patch.statusCode, 415)
  t.match(patch.json().detail, 'PATCH /llm-config takes application/merge-patch+json or application/json.')
  t.equal(patch.headers['accept-patch'], 'application/merge-patch+json, application/json', 'RFC 5789 §3.1')
  const put = await app.inject({ method: 'PUT', url: '/llm-config', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'batch_size=1' })
  t.equal(put.statusCode, 415)
  t.match(put.json().detail, 'PUT /llm-config takes application/json.')
  t.equal(put.headers.accept, 'application/json')
  const restore = await app.inject({ method: 'POST', url: '/llm-config/restore', headers: auth, payload: 'version=1' })
  t.equal(restore.statusCode, 415, 'no content type')
  t.match(restore.json().detail, 'POST /llm-config/restore takes application/json.')
  t.equal(restore.headers.accept, 'application/json')
})

t.test('a 400 names the part of the request that fails its schema, in plain words', async (t) => {
  const { app } = await testApp(t)
  const cases: Array<[string, string, string]> = [
    ['/llm-config/history/abc', 'The path parameters do not match their schema.', '#/version'],
    ['/llm-config/history?limit=0', 'The query string does not match its schema.', '#/limit'],
    ['/llm-config?consistent=maybe', 'The query string does not match its schema.', '#/consistent']
  ]
  for (const [url, detail, pointer] of cases) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 400, url)
    t.match(res.json(), { type: 'urn:llm-config:problem:validation-error', detail, errors: [{ pointer }] })
  }
  const body = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload: { batch_size: 0 } })
  t.equal(body.json().detail, 'The request body does not match its schema.')
})

t.test('property: no body makes a 5xx, and a rejected write changes nothing', async (t) => {
  const { app } = await testApp(t)
  const field = fc.constantFrom('provider', 'api_key', 'api_url', 'model_tagger', 'backup_provider', 'backup_model',
    'enabled', 'max_retries', 'batch_size', 'min_confidence_tagging', 'id', 'updated_at', 'unknown_field')
  const value = fc.oneof(
    fc.constantFrom(...PROVIDERS), fc.string({ maxLength: 300 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
    fc.webUrl(), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 })
  )
  let accepted = 0
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('PUT', 'PATCH' as const), fc.dictionary(field, value, { maxKeys: 4 }),
    async (method, body) => {
      const before = await storedState(app)
      const res = await app.inject({ method: method as 'PUT' | 'PATCH', url: '/llm-config', headers: json, payload: body })
      if (res.statusCode >= 500) return false
      if (res.statusCode === 200) { accepted++; return true }
      const after = await storedState(app)
      return [400, 422].includes(res.statusCode) && JSON.stringify(after) === JSON.stringify(before)
    }
  ), { numRuns: 150 })
  t.ok(accepted > 0, `some generated bodies were valid (${accepted})`)
})
