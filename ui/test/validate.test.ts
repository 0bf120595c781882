// The console's checks before sending, with the rules read from the service's own OpenAPI
// document (as the build does), and the server's field errors mapped to fields.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { rulesOf } from '../src/schema.js'
import { fieldErrorsOf, problemOf, validate } from '../src/validate.js'

const rules = rulesOf(JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')))

t.test('the rules come from LlmConfigInput', async (t) => {
  t.match(rules.batch_size, { kind: 'integer', minimum: 1, maximum: 10000, nullable: false })
  t.match(rules.backup_provider, { kind: 'enum', nullable: true })
  t.ok(rules.provider?.options?.includes('openai_compatible'))
  t.match(rules.api_url, { kind: 'string', format: 'http-url', maxLength: 255, nullable: true })
  t.notOk('version' in rules, 'read-only fields are not settings')
})

t.test('values are checked as the API checks them', async (t) => {
  t.equal(problemOf(20000, rules.batch_size), 'At most 10000')
  t.equal(problemOf(0, rules.batch_size), 'At least 1')
  t.equal(problemOf(2.5, rules.batch_size), 'A whole number')
  t.equal(problemOf('', rules.batch_size), 'Required')
  t.equal(problemOf(1.5, rules.min_confidence_entity), 'At most 1')
  t.equal(problemOf(null, rules.model_responder), undefined, 'nullable fields may be empty')
  t.equal(problemOf('x'.repeat(101), rules.model_tagger), 'At most 100 characters')
  t.match(problemOf('http:example.com', rules.api_url), /absolute http/)
  t.equal(problemOf('http://llm-proxy:8080/v1', rules.api_url), undefined)
  t.match(problemOf('nope', rules.provider), /^One of local/)
})

t.test('backup_model needs backup_provider', async (t) => {
  t.same(validate({ backup_model: 'phi3', backup_provider: null }, rules, ['backup_model', 'backup_provider']), { backup_model: 'Needs a backup provider' })
  t.same(validate({ backup_model: 'phi3', backup_provider: 'ollama' }, rules, ['backup_model', 'backup_provider']), {})
})

t.test('the server\'s field errors land on their fields', async (t) => {
  t.same(fieldErrorsOf({ errors: [{ pointer: '#/batch_size', field: 'batch_size', detail: 'must be <= 10000' }, { pointer: '/api_key', field: 'api_key', detail: 'bad' }] }),
    { batch_size: 'must be <= 10000', api_key: 'bad' })
  t.same(fieldErrorsOf({ detail: 'no errors member' }), {})
})
