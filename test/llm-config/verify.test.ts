// POST /llm-config/verify against fake providers on loopback (test/support/fake-providers.ts):
// every API family, every error class, the SSRF guard, where the key goes (only to its own
// provider, never to the backup's, never into the report or the log), and that nothing is stored.
import t, { type Test as Tap } from 'tap'
import type { App } from '../../src/app.js'
import { PROVIDERS, type ProviderName } from '../../src/db/providers.js'
import type { LlmConfig } from '../../src/llm-config/config/schemas.js'
import { isPrivateAddress } from '../../src/llm-config/verify/private-addresses.js'
import { classifyError } from '../../src/llm-config/verify/probe-failure.js'
import { verifyConfiguration } from '../../src/llm-config/verify/report.js'
import { ERROR_CLASSES, KEY_WITHHELD } from '../../src/llm-config/verify/schemas.js'
import { DEFAULT_BASES } from '../../src/llm-config/verify/adapters.js'
import { auth, testApp } from '../helper.js'
import { FAMILIES, closedPort, receivedHeaderValues, receivedKeyHeaders, startFake, type Family, type FakeProvider } from '../support/fake-providers.js'
import { defaultApiSettings } from '../support/defaults.js'
import { headersOf, roleEnv, type Caller } from '../support/roles.js'
import { storedState } from './state.js'

const KEY = 'sk-verify-SECRET-7d1c9e42a8b3f0aa'
const STORED_KEY = 'sk-stored-SECRET-51be0c9d73a2e8ff'
const WRONG_KEY = 'sk-wrong-SECRET-0f3a9c27b1d4e6cc'
const SECRETS = [KEY, STORED_KEY, WRONG_KEY]

// A slow fake answers after 2 s. The deadline is 1 s (room for a loaded CI machine; a fake
// answers in milliseconds), 300 ms where a test waits for it; no rate limit unless a test is about it.
const ENV = { VERIFY_TIMEOUT_MS: '1000', VERIFY_RATE_LIMIT: '100000' }
const NO_BACKUP = { model_responder: null, backup_provider: null, backup_model: null }

const FAMILY_OF: Record<ProviderName, Family> = {
  local: 'ollama',
  ollama: 'ollama',
  openai: 'openai',
  groq: 'openai',
  mistral: 'openai',
  openrouter: 'openai',
  openai_compatible: 'openai',
  azure_openai: 'azure_openai',
  anthropic: 'anthropic',
  google: 'google',
  cohere: 'cohere'
}

/** Two models each provider's fake lists, written as a user would configure them. */
const MODELS: Record<Family, [string, string]> = {
  ollama: ['phi3', 'llama3:70b'], // "phi3" is listed as phi3:latest
  openai: ['gpt-4o-mini', 'gpt-4o'],
  azure_openai: ['gpt-4o', 'gpt-4o-mini'],
  anthropic: ['claude-3-5-sonnet-20241022', 'claude-3-5-haiku-20241022'],
  google: ['gemini-1.5-flash', 'models/gemini-1.5-pro'], // listed as models/<name>
  cohere: ['command-r', 'command-r-plus']
}

function verify (app: App, payload?: unknown, headers: Record<string, string> = auth, remoteAddress?: string) {
  return app.inject({
    method: 'POST',
    url: '/llm-config/verify',
    headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    payload: payload === undefined ? undefined : JSON.stringify(payload),
    remoteAddress
  })
}

/** The settings that point the primary provider at a fake. */
function pointedAt (provider: ProviderName, fake: FakeProvider, apiKey: string | null = KEY) {
  const [tagger, enricher] = MODELS[FAMILY_OF[provider]]
  return { provider, api_url: fake.url, api_key: apiKey, model_tagger: tagger, model_enricher: enricher, model_analytics: tagger, ...NO_BACKUP }
}

const leaks = (text: string) => SECRETS.filter((secret) => text.includes(secret))

t.test('every API family: its model list, the key in its own header, every configured model found', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true, env: { ...ENV, VERIFY_ALLOW_PRIVATE: 'true' } })
  for (const provider of PROVIDERS) {
    const family = FAMILY_OF[provider]
    const fake = await startFake(t, family, { key: KEY })
    const res = await verify(app, pointedAt(provider, fake))
    t.equal(res.statusCode, 200, provider)
    const report = res.json()
    t.equal(report.ok, true, `${provider}: ok`)
    t.equal(report.targets.length, 1, `${provider}: no backup, one target`)
    t.match(report.targets[0], { role: 'primary', provider, key_sent: true, reachable: true, status: 200, auth_accepted: true, error: null, detail: null })
    t.ok(report.targets[0].url.startsWith(fake.url), `${provider}: probed at api_url (${report.targets[0].url})`)
    t.type(report.targets[0].latency_ms, 'number')
    t.same(report.models.map((m: { setting: string, available: boolean }) => [m.setting, m.available]),
      [['model_tagger', true], ['model_enricher', true], ['model_analytics', true]], `${provider}: every model available`)
    t.equal(fake.received.length, 1, `${provider}: one request`)
    const presented = FAMILIES[family].presented(fake.received[0]?.headers ?? {})
    t.equal(presented ?? fake.received[0]?.headers.authorization, presented === null ? `Bearer ${KEY}` : KEY, `${provider}: the key in the family's header`)
    t.same(leaks(res.body), [], `${provider}: the key is not in the report`)
  }
  t.same(leaks(logs()), [], 'the key is in no log line')
})

t.test('what each family sends: paths, versions and the model names as the provider lists them', async (t) => {
  const { app } = await testApp(t, { env: { ...ENV, VERIFY_ALLOW_PRIVATE: 'true' } })
  const sent = async (provider: ProviderName) => {
    const fake = await startFake(t, FAMILY_OF[provider], { key: KEY })
    const report = (await verify(app, pointedAt(provider, fake))).json()
    return { request: fake.received[0], listed: report.targets[0].models }
  }
  const azure = await sent('azure_openai')
  t.equal(azure.request?.url, '/openai/models?api-version=2024-10-21')
  const anthropic = await sent('anthropic')
  t.equal(anthropic.request?.headers['anthropic-version'], '2023-06-01')
  t.notOk(anthropic.request?.headers.authorization, 'anthropic: x-api-key only')
  const google = await sent('google')
  t.same(google.listed, ['gemini-1.5-flash', 'gemini-1.5-pro'], 'google: names without models/')
  t.notMatch(google.request?.url ?? '', KEY, 'google: the key is a header, never in the URL')
  const ollama = await sent('ollama')
  t.equal(ollama.request?.url, '/api/tags')
  t.same(ollama.listed, ['phi3:latest', 'llama3:latest', 'llama3:70b'])
  const cohere = await sent('cohere')
  t.match(cohere.request?.url, /^\/v1\/models\b/)

  // An api_url that already ends with the version segment is not doubled.
  const fake = await startFake(t, 'anthropic', { key: KEY })
  const res = await verify(app, { ...pointedAt('anthropic', fake), api_url: `${fake.url}/v1/` })
  t.equal(res.json().targets[0].error, null)
  t.equal(fake.received[0]?.url, '/v1/models?limit=1000')
})

t.test('a model the provider does not list: available false, ok false, the list shown', async (t) => {
  const { app } = await testApp(t, { env: ENV })
  const fake = await startFake(t, 'ollama')
  const res = await verify(app, { ...pointedAt('ollama', fake, null), model_enricher: 'mistral', model_responder: 'llama3:latest' })
  const report = res.json()
  t.equal(report.ok, false)
  t.equal(report.targets[0].error, null, 'the provider itself answered well')
  t.same(report.targets[0].models, ['phi3:latest', 'llama3:latest', 'llama3:70b'])
  t.same(report.models.map((m: { model: string, available: boolean }) => [m.model, m.available]),
    [['phi3', true], ['mistral', false], ['phi3', true], ['llama3:latest', true]])
})

t.test('a wrong or missing key: auth_failed, and the provider\'s refusal (quoting the key) is not passed on', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true, env: { ...ENV, VERIFY_ALLOW_PRIVATE: 'true' } })
  for (const provider of PROVIDERS.filter((name) => FAMILY_OF[name] !== 'ollama')) {
    const fake = await startFake(t, FAMILY_OF[provider], { key: KEY })
    const wrong = await verify(app, pointedAt(provider, fake, WRONG_KEY))
    t.equal(wrong.statusCode, 200)
    const report = wrong.json()
    t.equal(report.ok, false)
    t.match(report.targets[0], { reachable: true, status: provider === 'google' ? 400 : 401, auth_accepted: false, error: 'auth_failed', key_sent: true }, `${provider}: wrong key`)
    t.same(report.models.map((m: { available: unknown }) => m.available), [null, null, null], `${provider}: models unknown without a list`)
    t.same(leaks(wrong.body), [], `${provider}: the refused key is not in the report`)

    const missing = (await verify(app, pointedAt(provider, fake, null))).json()
    t.match(missing.targets[0], { error: 'auth_failed', key_sent: false, key_withheld: 'no_key', detail: /no API key is stored or given/ }, `${provider}: no key`)
  }
  t.same(leaks(logs()), [], 'no key in the log')
})

t.test('every error class is produced and reported', async (t) => {
  const { app } = await testApp(t, { env: { ...ENV, VERIFY_TIMEOUT_MS: '300' } })
  const seen = new Set<string>()
  const check = async (what: string, settings: Record<string, unknown>, expected: Record<string, unknown>) => {
    const res = await verify(app, settings)
    t.equal(res.statusCode, 200, what)
    const target = res.json().targets[0]
    t.match(target, expected, what)
    t.equal(res.json().ok, false, `${what}: ok is false`)
    seen.add(target.error)
    return target
  }
  const fake = await startFake(t, 'openai', { key: KEY })
  const other = await startFake(t, 'openai', { key: KEY })
  const at = (url: string) => ({ ...pointedAt('openai_compatible', fake), api_url: url })

  fake.behaviour = 'rate-limited'
  await check('429', at(fake.url), { reachable: true, status: 429, error: 'rate_limited', auth_accepted: null })
  fake.behaviour = 'slow'
  await check('no answer within the deadline', at(fake.url), { reachable: false, status: null, error: 'timeout', detail: 'no answer within 300 ms' })
  fake.behaviour = 'slow-body'
  await check('headers, then a body past the deadline', at(fake.url), { reachable: true, status: 200, error: 'timeout' })
  fake.behaviour = 'redirect'
  fake.redirectTo = `${other.url}/models`
  await check('a redirect to another host', at(fake.url), { status: 302, error: 'unexpected_response', detail: `HTTP 302: a redirect to 127.0.0.1:${other.port}, not followed` })
  t.equal(other.received.length, 0, 'the redirect was not followed')
  fake.behaviour = 'malformed'
  await check('malformed JSON', at(fake.url), { status: 200, error: 'unexpected_response', detail: /not valid JSON/, models: null })
  fake.behaviour = 'wrong-shape'
  await check('JSON that is no model list', at(fake.url), { status: 200, error: 'unexpected_response', detail: /not a model list/ })
  fake.behaviour = 'oversized'
  await check('a body over 1 MiB', at(fake.url), { status: 200, error: 'unexpected_response', detail: 'the answer is larger than 1048576 bytes' })
  fake.behaviour = 'server-error'
  await check('a 500', at(fake.url), { status: 500, error: 'unexpected_response', detail: 'HTTP 500' })

  // https:// to a server that speaks plain HTTP: the TLS handshake fails.
  await check('TLS', at(`https://127.0.0.1:${fake.port}/v1`), { reachable: false, error: 'tls', detail: /TLS handshake failed/ })
  await check('a closed port', at(`http://127.0.0.1:${await closedPort()}/v1`), { reachable: false, error: 'unreachable', detail: /ECONNREFUSED/ })
  const withCredentials = await check('credentials in api_url', at(`http://user:pw-SECRET@127.0.0.1:${fake.port}/v1`), { reachable: false, error: 'unreachable', detail: /credentials/ })
  t.equal(withCredentials.url, `http://127.0.0.1:${fake.port}/v1/models`, 'shown without them')
  await check('azure_openai without api_url', { ...at(fake.url), provider: 'azure_openai', api_url: null },
    { url: null, reachable: false, error: 'unreachable', detail: 'azure_openai has no default address: set api_url' })

  fake.behaviour = 'normal'
  await check('a wrong key', { ...at(fake.url), api_key: WRONG_KEY }, { error: 'auth_failed' })
  t.same([...seen].sort(), [...ERROR_CLASSES].sort(), 'every error class was produced')
})

t.test('SSRF: a public provider is never probed at a private or loopback address, unless VERIFY_ALLOW_PRIVATE', async (t) => {
  const fake = await startFake(t, 'openai', { key: KEY })
  const { app } = await testApp(t, { env: ENV })
  for (const url of [fake.url, `http://localhost:${fake.port}/v1`, `http://[::ffff:127.0.0.1]:${fake.port}/v1`]) {
    for (const provider of ['openai', 'groq', 'anthropic'] as const) {
      const target = (await verify(app, { ...pointedAt(provider, fake), api_url: url })).json().targets[0]
      t.match(target, { reachable: false, error: 'unreachable', detail: /private or loopback address, refused/ }, `${provider} at ${url}`)
    }
  }
  t.equal(fake.received.length, 0, 'the fake received nothing')

  for (const provider of ['openai_compatible', 'ollama', 'local'] as const) {
    const target = (await verify(app, { ...pointedAt(provider, fake), api_url: fake.url })).json().targets[0]
    t.equal(target.reachable, true, `${provider} may run on the private network`)
  }

  const allowed = await testApp(t, { env: { ...ENV, VERIFY_ALLOW_PRIVATE: 'true' } })
  const target = (await verify(allowed.app, pointedAt('openai', fake))).json().targets[0]
  t.match(target, { reachable: true, error: null }, 'VERIFY_ALLOW_PRIVATE=true lets openai reach loopback')
})

t.test('errors thrown by DNS, connections and TLS, by class', async (t) => {
  const thrown = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code }) })
  const cases: Array<[unknown, string, RegExp]> = [
    [thrown('ENOTFOUND'), 'unreachable', /does not resolve \(ENOTFOUND\)/],
    [Object.assign(new Error('x'), { code: 'EAI_AGAIN' }), 'unreachable', /does not resolve/], // from dns.lookup itself
    [thrown('ECONNRESET'), 'unreachable', /connection failed \(ECONNRESET\)/],
    [thrown('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls', /DEPTH_ZERO_SELF_SIGNED_CERT/],
    [thrown('SELF_SIGNED_CERT_IN_CHAIN'), 'tls', /TLS/],
    [thrown('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls', /TLS/],
    [thrown('CERT_HAS_EXPIRED'), 'tls', /TLS/],
    [thrown('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls', /TLS/],
    [thrown('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls', /TLS/],
    [new DOMException('timed out', 'TimeoutError'), 'timeout', /no answer within 300 ms/],
    [new DOMException('aborted', 'AbortError'), 'timeout', /no answer/]
  ]
  for (const [error, errorClass, detail] of cases) {
    t.match(classifyError(error, 300), { errorClass, detail }, String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name))
  }
})

t.test('private address ranges', async (t) => {
  for (const address of ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '0.0.0.0', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
    t.equal(isPrivateAddress(address), true, address)
  }
  for (const address of ['8.8.8.8', '172.32.0.1', '172.15.255.255', '192.169.0.1', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
    t.equal(isPrivateAddress(address), false, address)
  }
})

t.test('the backup provider: its own default base, probed without the key', async (t) => {
  // The backup's address is its provider's default; ollama's is localhost:11434.
  const backup = await startFake(t, 'ollama', { port: 11434, hosts: ['127.0.0.1', '::1'] }).catch((error: Error) => {
    throw new Error(`This test binds a fake Ollama on 127.0.0.1:11434, the backup's default address; stop what listens there (a local Ollama?): ${error.message}`)
  })
  const primary = await startFake(t, 'openai', { key: KEY })
  const { app, logs } = await testApp(t, { captureLogs: true, env: ENV })

  const res = await verify(app, { ...pointedAt('openai_compatible', primary), backup_provider: 'ollama', backup_model: 'phi3' })
  t.equal(res.statusCode, 200)
  const report = res.json()
  t.equal(report.ok, true)
  t.match(report.targets, [
    { role: 'primary', provider: 'openai_compatible', key_sent: true, error: null },
    { role: 'backup', provider: 'ollama', url: 'http://localhost:11434/api/tags', key_sent: false, reachable: true, error: null }
  ])
  t.match(report.models.at(-1), { setting: 'backup_model', model: 'phi3', target: 'backup', provider: 'ollama', available: true })
  t.equal(backup.received.length, 1)
  t.match(receivedHeaderValues(primary), KEY, 'the key went to its own provider')
  t.same(leaks(receivedHeaderValues(backup)), [], 'the key never reached the backup provider')
  t.notOk(backup.received[0]?.headers.authorization, 'no credentials at all to the backup')
  t.same(leaks(res.body), [])
  t.same(leaks(logs()), [], 'no key in the log')
  t.match(logs(), /"provider":"ollama","host":"localhost:11434","status":200,"error":null,"msg":"provider probed"/, 'the log has provider, host, status, class')

  // The same provider as backup: the same address and key, one probe for both.
  const same = (await verify(app, { ...pointedAt('openai_compatible', primary), backup_provider: 'openai_compatible', backup_model: 'gpt-4o' })).json()
  t.match(same.targets, [{ role: 'primary', key_sent: true }, { role: 'backup', key_sent: true, url: same.targets[0].url, error: null }])
  t.equal(primary.received.length, 2, 'one request for primary and backup')
  t.equal(backup.received.length, 1, 'and none to the other backup')
})

t.test('a backup provider that needs a key: probed without it, reported as such (default bases injected)', async (t) => {
  const primary = await startFake(t, 'openai', { key: KEY })
  const anthropic = await startFake(t, 'anthropic', { key: KEY })
  const google = await startFake(t, 'google', { key: KEY })
  const defaultBases = { ...DEFAULT_BASES, anthropic: anthropic.url, google: google.url }
  const config = (backup: ProviderName): LlmConfig => ({ ...CONFIG, provider: 'openai_compatible', api_url: primary.url, model_tagger: 'gpt-4o', backup_provider: backup, backup_model: 'x' })

  for (const [provider, fake, status] of [['anthropic', anthropic, 401], ['google', google, 403]] as const) {
    const report = await verifyConfiguration(config(provider), { source: 'request', value: KEY }, { timeoutMs: 1000, allowPrivate: true, defaultBases })
    t.match(report.targets[1], { role: 'backup', provider, key_sent: false, key_withheld: 'other_provider', status, error: 'auth_failed', detail: /probed without the API key/ }, provider)
    t.equal(fake.received.length, 1)
    t.same(leaks(receivedHeaderValues(fake)), [], `the key never reached ${provider}`)
  }
  t.equal(primary.received.length, 2)
  t.ok(primary.received.every((request) => request.headers.authorization === `Bearer ${KEY}`))
})

t.test('unsaved values are verified and nothing is stored: a body\'s key is used for this call only', async (t) => {
  const fake = await startFake(t, 'openai', { key: KEY })
  const { app, logs } = await testApp(t, { captureLogs: true, env: ENV })
  const stored = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { ...pointedAt('openai_compatible', fake, STORED_KEY), model_tagger: 'gpt-4o' } })
  t.equal(stored.statusCode, 200)
  const before = await storedState(app)
  const history = (await app.inject({ method: 'GET', url: '/llm-config/history' })).json().items.length

  const withKey = await verify(app, { api_key: KEY, model_tagger: 'gpt-4o-mini', batch_size: 99 })
  t.equal(withKey.json().ok, true, 'the body\'s key is accepted')
  t.equal(fake.received.at(-1)?.headers.authorization, `Bearer ${KEY}`)
  t.same(withKey.json().models[0], { setting: 'model_tagger', model: 'gpt-4o-mini', target: 'primary', provider: 'openai_compatible', available: true })

  const storedKey = (await verify(app)).json()
  t.equal(fake.received.at(-1)?.headers.authorization, `Bearer ${STORED_KEY}`, 'without a key in the body, the stored key')
  t.match(storedKey.targets[0], { error: 'auth_failed', key_sent: true })

  const noKey = (await verify(app, { api_key: null })).json()
  t.equal(fake.received.at(-1)?.headers.authorization, undefined, 'api_key null: probed without a key')
  t.match(noKey.targets[0], { key_sent: false, error: 'auth_failed' })

  t.same(await storedState(app), before, 'the stored state and its ETag are unchanged')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config/history' })).json().items.length, history, 'no history entry')
  const credentials = await app.inject({ method: 'GET', url: '/llm-config/credentials', headers: auth })
  t.same(credentials.json(), { api_key: STORED_KEY }, 'the stored key is unchanged')
  t.same(leaks(`${withKey.body}${JSON.stringify(storedKey)}${JSON.stringify(noKey)}`), [])
  t.same(leaks(logs()), [], 'no key in the log')
})

t.test('where the key goes, and key_sent from what happened (one app for both)', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true, env: ENV })

  t.test('the stored key goes only to the stored configuration\'s host: a body naming another host gets no key', async (t) => {
    await storedKeyOnlyToItsHost(t, app, logs)
  })
  t.test('key_sent only when a request carrying the key left: not when DNS, the SSRF guard, the connection or TLS stopped it', async (t) => {
    await keySentFromWhatHappened(t, app)
  })
})

async function storedKeyOnlyToItsHost (t: Tap, app: App, logs: () => string) {
  const own = await startFake(t, 'openai', { key: STORED_KEY })
  const other = await startFake(t, 'openai', { key: KEY }) // same address, another port: another origin
  t.equal((await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: pointedAt('openai_compatible', own, STORED_KEY) })).statusCode, 200)

  // The request: another host in the body, no api_key.
  const elsewhere = await verify(app, { provider: 'openai_compatible', api_url: other.url })
  t.equal(elsewhere.statusCode, 200)
  t.equal(other.received.length, 1, 'the other host was probed')
  t.same(receivedKeyHeaders(other), [], 'without any key header')
  t.same(leaks(receivedHeaderValues(other)), [], 'the stored key never reached it')
  t.match(elsewhere.json().targets[0], {
    url: `${other.url}/models`,
    key_sent: false,
    key_withheld: 'other_host',
    error: 'auth_failed',
    detail: new RegExp(`probed without the stored API key: it goes only to the stored configuration's host \\(http://127\\.0\\.0\\.1:${own.port}\\)`)
  })

  // The same provider as backup is probed at the same (other) host: no key either.
  const asBackup = (await verify(app, { api_url: other.url, backup_provider: 'openai_compatible', backup_model: 'gpt-4o' })).json()
  t.match(asBackup.targets, [{ role: 'primary', key_sent: false, key_withheld: 'other_host' }, { role: 'backup', key_sent: false, key_withheld: 'other_host' }])
  t.same(receivedKeyHeaders(other), [], 'still no key header at the other host')

  // Another scheme on the same host and port is another origin too.
  const https = (await verify(app, { api_url: own.url.replace('http:', 'https:') })).json()
  t.match(https.targets[0], { key_sent: false, key_withheld: 'other_host' })

  // A key given in the body goes where the body says.
  const given = (await verify(app, { api_url: other.url, api_key: KEY })).json()
  t.match(given.targets[0], { key_sent: true, key_withheld: null, error: null })
  t.equal(other.received.at(-1)?.headers.authorization, `Bearer ${KEY}`)

  // The stored host (api_url unchanged, or another path at its origin): the stored key.
  const before = own.received.length
  const unchanged = (await verify(app, { model_tagger: 'gpt-4o' })).json()
  t.match(unchanged.targets[0], { key_sent: true, key_withheld: null, error: null })
  const samePlace = (await verify(app, { api_url: `${own.url}/` })).json()
  t.match(samePlace.targets[0], { key_sent: true, key_withheld: null, error: null }, 'another path at the stored origin')
  t.equal(own.received.length, before + 2)
  t.ok(own.received.slice(before).every((request) => request.headers.authorization === `Bearer ${STORED_KEY}`), 'the stored key went to its own host')

  t.same(leaks(`${elsewhere.body}${JSON.stringify([asBackup, https, given, unchanged, samePlace])}`), [], 'no key in any report')
  t.same(leaks(logs()), [], 'no key in the log')
}

t.test('the stored key of a configuration without api_url goes only to its provider\'s default host (default bases injected)', async (t) => {
  const anthropic = await startFake(t, 'anthropic', { key: STORED_KEY })
  const proxy = await startFake(t, 'anthropic', { key: STORED_KEY })
  const defaultBases = { ...DEFAULT_BASES, anthropic: anthropic.url }
  const stored = { provider: 'anthropic', api_url: null } as const
  const key = { source: 'stored', value: STORED_KEY, of: stored } as const
  const config = (apiUrl: string | null): LlmConfig => ({ ...CONFIG, ...NO_BACKUP, provider: 'anthropic', api_url: apiUrl, model_tagger: 'claude-3-5-haiku-20241022' })
  const options = { timeoutMs: 1000, allowPrivate: true, defaultBases }

  const atDefault = await verifyConfiguration(config(null), key, options)
  t.match(atDefault.targets[0], { key_sent: true, key_withheld: null, error: null }, 'the default host: the stored key')
  t.equal(anthropic.received[0]?.headers['x-api-key'], STORED_KEY)

  const atProxy = await verifyConfiguration(config(proxy.url), key, options)
  t.match(atProxy.targets[0], { key_sent: false, key_withheld: 'other_host', error: 'auth_failed' }, 'an api_url elsewhere: no key')
  t.same(receivedKeyHeaders(proxy), [])

  // Another provider at its own default host is another host for the stored key.
  const google = await startFake(t, 'google', { key: STORED_KEY })
  const asGoogle = await verifyConfiguration({ ...config(null), provider: 'google', model_tagger: 'gemini-1.5-flash' }, key, { ...options, defaultBases: { ...defaultBases, google: google.url } })
  t.match(asGoogle.targets[0], { provider: 'google', key_sent: false, key_withheld: 'other_host' })
  t.same(receivedKeyHeaders(google), [])
})

async function keySentFromWhatHappened (t: Tap, app: App) {
  const fake = await startFake(t, 'openai', { key: KEY })
  const target = async (settings: Record<string, unknown>) => (await verify(app, { ...pointedAt('openai_compatible', fake), ...settings })).json().targets[0]

  const unresolvable = await target({ api_url: 'http://nonexistent.invalid/v1' })
  t.match(unresolvable, { key_sent: false, key_withheld: null, reachable: false }, 'a name that does not resolve')
  t.ok(['unreachable', 'timeout'].includes(unresolvable.error), `an unresolvable name: ${unresolvable.detail}`)

  const refused = await target({ provider: 'openai' }) // a public provider at loopback
  t.match(refused, { key_sent: false, key_withheld: null, error: 'unreachable', detail: /private or loopback address, refused/ }, 'refused by the SSRF guard')

  const closed = await target({ api_url: `http://127.0.0.1:${await closedPort()}/v1` })
  t.match(closed, { key_sent: false, error: 'unreachable', detail: /ECONNREFUSED/ }, 'a refused connection')

  const handshake = await target({ api_url: `https://127.0.0.1:${fake.port}/v1` })
  t.match(handshake, { key_sent: false, error: 'tls' }, 'a failed TLS handshake: the headers never left')
  t.equal(fake.received.length, 0, 'the fake received no request at all')

  fake.behaviour = 'slow'
  t.match(await target({}), { key_sent: true, error: 'timeout' }, 'a request that left and got no answer in time did carry the key')
  t.equal(fake.received.at(-1)?.headers.authorization, `Bearer ${KEY}`)
}

t.test('invalid bodies: 422 for a rule, 400 for the schema, 415 for other content; nothing is probed', async (t) => {
  const fake = await startFake(t, 'openai', { key: KEY })
  const { app } = await testApp(t, { env: ENV })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: pointedAt('openai_compatible', fake) })
  const before = await storedState(app)

  const rule = await verify(app, { backup_model: 'gpt-4o' })
  t.equal(rule.statusCode, 422)
  t.match(rule.headers['content-type'], /^application\/problem\+json/)
  t.match(rule.json(), { type: 'urn:llm-config:problem:rule-violation', errors: [{ pointer: '#/backup_model', field: 'backup_model' }] })

  const schema = await verify(app, { batch_size: 0, provider: 'nobody' })
  t.equal(schema.statusCode, 400)
  t.match(schema.json(), { type: 'urn:llm-config:problem:validation-error' })
  t.same(schema.json().errors.map((e: { pointer: string }) => e.pointer).sort(), ['#/batch_size', '#/provider'])
  t.equal((await verify(app, { api_key: '…WXYZ' })).statusCode, 400, 'a key that is its hint')
  t.equal((await verify(app, { unknown_field: 1 })).statusCode, 400)
  const text = await app.inject({ method: 'POST', url: '/llm-config/verify', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' })
  t.equal(text.statusCode, 415)
  t.equal(fake.received.length, 0, 'no rejected request was probed')

  // No body, an empty JSON body, or {}: the stored configuration as it is.
  t.equal((await verify(app)).json().ok, true, 'no body')
  const empty = await app.inject({ method: 'POST', url: '/llm-config/verify', headers: { ...auth, 'content-type': 'application/json' }, payload: '' })
  t.equal(empty.json().ok, true, 'an empty JSON body')
  t.equal((await verify(app, {})).json().ok, true, '{}')
  t.same(await storedState(app), before)
})

t.test('admins only: 401 without a valid token, 403 for readers and consumers', async (t) => {
  const fake = await startFake(t, 'openai', { key: KEY })
  const { app } = await testApp(t, { env: { ...roleEnv({ readers: true }), ...ENV } })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: pointedAt('openai_compatible', fake) })
  const expected: Record<Caller, number> = { none: 401, unknown: 401, reader: 403, consumer: 403, admin: 200 }
  for (const [caller, status] of Object.entries(expected) as Array<[Caller, number]>) {
    t.equal((await verify(app, {}, headersOf(caller))).statusCode, status, caller)
  }
  t.equal(fake.received.length, 1, 'only the admin\'s request was probed')
})

t.test('its own rate limit per address: VERIFY_RATE_LIMIT a minute, then 429 with Retry-After', async (t) => {
  const fake = await startFake(t, 'openai', { key: KEY })
  const { app } = await testApp(t, { env: { ...ENV, VERIFY_RATE_LIMIT: '2' } })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: pointedAt('openai_compatible', fake) })
  t.equal((await verify(app)).statusCode, 200)
  t.equal((await verify(app)).statusCode, 200)
  const limited = await verify(app)
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After')
  t.equal(fake.received.length, 2, 'the refused call probed nothing')
  t.equal((await verify(app, undefined, auth, '192.0.2.7')).statusCode, 200, 'another address has its own budget')
  t.equal((await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 7 } })).statusCode, 200, 'writes keep their own budget')
})

t.test('the OpenAPI document describes the route and its report', async (t) => {
  const { app } = await testApp(t, { env: ENV })
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  const op = doc.paths['/llm-config/verify'].post
  t.match(op, { operationId: 'verifyLlmConfig', tags: ['llm-config'], security: [{ bearerAuth: [] }] })
  t.ok(op.summary)
  t.same(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '413', '415', '422', '429', '500', '503'])
  t.match(op.responses['429'].description, /VERIFY_RATE_LIMIT/, 'the route\'s own 429')
  t.match(op.responses['500'].description, /cannot be decrypted/, 'the route\'s own 500')
  t.equal(op.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/VerifyReport')
  t.equal(op.responses['422'].content['application/problem+json'].schema.$ref, '#/components/schemas/Problem')
  for (const name of ['VerifyReport', 'VerifyTarget', 'VerifyModel']) t.ok(doc.components.schemas[name], `${name} is a component`)
  t.same(doc.components.schemas.VerifyTarget.properties.error.anyOf[0].enum, [...ERROR_CLASSES])
  t.same(doc.components.schemas.VerifyTarget.properties.key_withheld.anyOf[0].enum, [...KEY_WITHHELD])
  t.ok(doc.components.schemas.VerifyTarget.required.includes('key_withheld'))
})

/** A whole stored configuration (the column defaults), for calling verifyConfiguration directly. */
const CONFIG = {
  id: 1,
  ...defaultApiSettings,
  created_at: '2024-01-01T00:00:00.000Z',
  updated_at: '2024-01-01T00:00:00.000Z',
  version: 1
} as LlmConfig
