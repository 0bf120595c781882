import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

const KEY = Buffer.alloc(32, 1).toString('base64')
const OLD = Buffer.alloc(32, 2).toString('base64')

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    production: false,
    port: 3000,
    host: '127.0.0.1',
    database: { kind: 'embedded', dataDir: './data' },
    tokens: [],
    encryption: { key: undefined, oldKeys: [] },
    corsOrigins: [],
    docsEnabled: true,
    adminUiEnabled: true,
    rateLimits: { writesPerMinute: 60, authFailuresPerMinute: 20 },
    databaseDeadlineMs: 2000,
    logLevel: 'info'
  })
})

t.test('storage modes, and an empty variable counts as unset', async (t) => {
  t.same(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database, { kind: 'postgres', url: 'postgres://u@h/db' })
  t.same(loadConfig({ DATABASE_URL: 'postgresql://u@h/db' }).database, { kind: 'postgres', url: 'postgresql://u@h/db' })
  t.same(loadConfig({ DATABASE_URL: 'memory://' }).database, { kind: 'embedded', dataDir: null })
  t.same(loadConfig({ DATABASE_URL: '', DATA_DIR: '/var/lib/x' }).database, { kind: 'embedded', dataDir: '/var/lib/x' })
  t.equal(loadConfig({ PORT: '' }).port, 3000)
})

t.test('tokens: ADMIN_TOKEN is the admin named "admin"; lists are name:token per role', async (t) => {
  const config = loadConfig({
    ADMIN_TOKEN: 'a'.repeat(16),
    ADMIN_TOKENS: 'ops:bbbbbbbbbbbbbbbb, ci:cccccccccccccccc',
    READER_TOKENS: 'dash:dddddddddddddddd',
    CONSUMER_TOKENS: 'worker-1:eeeeeeeeeeeeeeee'
  })
  t.same(config.tokens.map(({ name, role }) => `${role}:${name}`), ['admin:admin', 'admin:ops', 'admin:ci', 'reader:dash', 'consumer:worker-1'])
  t.equal(config.tokens[1]?.token, 'b'.repeat(16))
})

t.test('keys and other values', async (t) => {
  const config = loadConfig({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_OLD: `${OLD}, ${KEY}`, CORS_ORIGINS: 'https://a.example, https://b.example', DOCS_ENABLED: 'false', ADMIN_UI_ENABLED: 'false', NODE_ENV: 'production' })
  t.same(config.encryption.key, Buffer.alloc(32, 1))
  t.same(config.encryption.oldKeys, [Buffer.alloc(32, 2), Buffer.alloc(32, 1)])
  t.same(config.corsOrigins, ['https://a.example', 'https://b.example'])
  t.equal(config.docsEnabled, false)
  t.equal(config.adminUiEnabled, false)
  t.equal(config.production, true)
})

t.test('every invalid value is refused with a message naming the variable and never the secret', async (t) => {
  const secret = 'Secret-Value-123'
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^Invalid environment variable PORT: must be integer/],
    [{ PORT: '70000' }, /^Invalid environment variable PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid environment variable DATABASE_URL/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid environment variable LOG_LEVEL: .*\(fatal, error, warn, info, debug, trace, silent\)/],
    [{ NODE_ENV: 'staging' }, /^Invalid environment variable NODE_ENV/],
    [{ DOCS_ENABLED: 'maybe' }, /^Invalid environment variable DOCS_ENABLED/],
    [{ ADMIN_UI_ENABLED: 'maybe' }, /^Invalid environment variable ADMIN_UI_ENABLED/],
    [{ DATABASE_DEADLINE_MS: '5' }, /^Invalid environment variable DATABASE_DEADLINE_MS/],
    [{ ADMIN_TOKEN: 'short' }, /^Invalid environment variable ADMIN_TOKEN/],
    [{ ADMIN_TOKENS: `ops${secret}` }, /^Invalid environment variable ADMIN_TOKENS: entry 1 must be name:token/],
    [{ READER_TOKENS: 'dash:short' }, /^Invalid environment variable READER_TOKENS: the token named "dash" must be at least 16/],
    [{ CONSUMER_TOKENS: `w:${secret},w:${secret}x` }, /^Invalid environment variable CONSUMER_TOKENS: the name "w" is used twice/],
    [{ ADMIN_TOKENS: `a:${secret}`, READER_TOKENS: `b:${secret}` }, /configured twice/],
    [{ ENCRYPTION_KEY: 'c2hvcnQ=' }, /^Invalid environment variable ENCRYPTION_KEY: key 1 must be 32 bytes/],
    [{ ENCRYPTION_KEY: `${KEY},${OLD}` }, /^Invalid environment variable ENCRYPTION_KEY: must be one key/],
    [{ ENCRYPTION_KEYS_OLD: `${OLD},not-base64!` }, /^Invalid environment variable ENCRYPTION_KEYS_OLD: key 2/],
    [{ NODE_ENV: 'production' }, /^ENCRYPTION_KEY is required when NODE_ENV=production/],
    [{ NODE_ENV: 'production', ENCRYPTION_KEY: '' }, /^ENCRYPTION_KEY is required/]
  ]
  for (const [env, message] of cases) {
    const error = (() => { try { loadConfig(env) } catch (e) { return e } })()
    t.type(error, ConfigError, JSON.stringify(Object.keys(env)))
    t.match((error as Error).message, message)
    t.notMatch((error as Error).message, secret, 'the value is not echoed')
  }
})
