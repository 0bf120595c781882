// The only module that reads process.env: the environment is parsed once, against a
// TypeBox schema, into a typed Config that is passed down from there.
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import type { DatabaseTarget } from './db/client.js'
import { ConfigError, parseKeyList, parseTokenList, type Role, type TokenEntry } from './config-lists.js'

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const Env = Type.Object({
  NODE_ENV: Type.Enum(['development', 'production', 'test'], { default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({
    pattern: '^(memory://|postgres(ql)?://.+)$',
    description: 'postgres://… for PostgreSQL, memory:// for an in-memory embedded database, unset for an embedded database under DATA_DIR'
  }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  ADMIN_TOKEN: Type.String({ minLength: 16, description: 'one admin token, named "admin"' }),
  ADMIN_TOKENS: Type.String({ description: 'name:token,name:token' }),
  READER_TOKENS: Type.String(),
  CONSUMER_TOKENS: Type.String(),
  ENCRYPTION_KEY: Type.String({ description: '32 random bytes, base64' }),
  ENCRYPTION_KEYS_OLD: Type.String({ description: 'earlier ENCRYPTION_KEYs, comma-separated: still decrypt' }),
  CORS_ORIGINS: Type.String({ description: 'origins allowed to call the API from a browser, comma-separated' }),
  DOCS_ENABLED: Type.Boolean({ default: true }),
  ADMIN_UI_ENABLED: Type.Boolean({ default: true, description: 'serve the admin console at /admin' }),
  WRITE_RATE_LIMIT: Type.Integer({ minimum: 1, default: 60, description: 'writes per minute per client address' }),
  AUTH_FAILURE_LIMIT: Type.Integer({ minimum: 1, default: 20, description: 'failed authentications per minute per client address' }),
  DATABASE_DEADLINE_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: 2000, description: 'deadline of a request\'s database work' }),
  HISTORY_RETAIN: Type.Integer({ minimum: 1, description: 'versions of history to keep; unset keeps everything' }),
  WATCH_MAX: Type.Integer({ minimum: 0, default: 10_000, description: 'SSE watchers per replica (10,000: every one updated within about 135 ms of a change, about 11 KB each, docs/benchmarks.md)' }),
  WATCH_HEARTBEAT_MS: Type.Integer({ minimum: 100, default: 15_000, description: 'interval of SSE heartbeat comments' }),
  VERIFY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000, description: 'deadline of each provider probe of POST /llm-config/verify' }),
  VERIFY_ALLOW_PRIVATE: Type.Boolean({ default: false, description: 'let verify probe private and loopback addresses for every provider' }),
  METRICS_TOKEN: Type.String({ minLength: 16, description: 'bearer token GET /metrics needs; unset leaves it open' }),
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, default: 0, description: 'mean event-loop delay (per second) beyond which requests get 503; 0 turns the check off' }),
  PRESSURE_MAX_HEAP_USED_BYTES: Type.Integer({ minimum: 0, default: 0, description: 'heap use beyond which requests get 503; 0 turns the check off' }),
  VERIFY_RATE_LIMIT: Type.Integer({ minimum: 1, default: 10, description: 'verify calls per minute per client address' }),
  // At most half of server.ts's 10 s grace delay: the close after it needs time too.
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, maximum: 5000, default: 1000, description: 'drain phase of a graceful shutdown, before the close' }),
  LOG_LEVEL: Type.Enum(logLevels, { default: 'info' })
}, { required: ['NODE_ENV', 'PORT', 'HOST', 'DATA_DIR', 'DOCS_ENABLED', 'ADMIN_UI_ENABLED', 'WRITE_RATE_LIMIT', 'AUTH_FAILURE_LIMIT', 'DATABASE_DEADLINE_MS', 'WATCH_MAX', 'WATCH_HEARTBEAT_MS', 'VERIFY_TIMEOUT_MS', 'VERIFY_ALLOW_PRIVATE', 'VERIFY_RATE_LIMIT', 'PRESSURE_MAX_EVENT_LOOP_DELAY_MS', 'PRESSURE_MAX_HEAP_USED_BYTES', 'SHUTDOWN_DRAIN_MS', 'LOG_LEVEL'] })

export type { DatabaseTarget, Role, TokenEntry }

export interface Config {
  production: boolean
  port: number
  host: string
  database: DatabaseTarget
  dataDir: string
  /** Every configured bearer token with its name and role. Empty: the app generates an admin token. */
  tokens: TokenEntry[]
  encryption: {
    /** Undefined when ENCRYPTION_KEY is unset (refused in production; a key file in development). */
    key: Buffer | undefined
    oldKeys: Buffer[]
  }
  corsOrigins: string[]
  docsEnabled: boolean
  adminUiEnabled: boolean
  rateLimits: { writesPerMinute: number, authFailuresPerMinute: number }
  databaseDeadlineMs: number
  /** Versions of history kept (the current one always is); undefined keeps everything. */
  historyRetain: number | undefined
  watch: { max: number, heartbeatMs: number }
  verify: { timeoutMs: number, allowPrivate: boolean, perMinute: number }
  metricsToken: string | undefined
  pressure: { maxEventLoopDelayMs: number, maxHeapUsedBytes: number }
  /** How long a shutdown drains (503s, Connection: close) before it closes (plugins/drain.ts). */
  shutdownDrainMs: number
  logLevel: string
}

export { ConfigError }

/** Parses the environment; throws a ConfigError naming the offending variable, never its value. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set" (docker-compose passes `VAR=` through as empty).
  const raw: Record<string, unknown> = {}
  for (const name of Object.keys(Env.properties)) {
    const value = env[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const parsed = Value.Convert(Env, Value.Default(Env, raw))
  const [error] = Value.Errors(Env, parsed)
  if (error) {
    const name = error.instancePath.slice(1) || String(Object.values(error.params ?? {})[0] ?? '')
    const allowed = 'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : ''
    throw new ConfigError(`Invalid environment variable ${name}: ${error.message}${allowed}`)
  }
  const vars = parsed as Static<typeof Env>
  const production = vars.NODE_ENV === 'production'
  const encryptionKey = vars.ENCRYPTION_KEY === undefined ? undefined : parseKeyList('ENCRYPTION_KEY', vars.ENCRYPTION_KEY)
  if (encryptionKey !== undefined && encryptionKey.length !== 1) {
    throw new ConfigError('Invalid environment variable ENCRYPTION_KEY: must be one key (earlier keys go in ENCRYPTION_KEYS_OLD)')
  }
  if (production && encryptionKey === undefined) {
    throw new ConfigError('ENCRYPTION_KEY is required when NODE_ENV=production: the API key is stored encrypted with it. ' +
      'Generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64\'))"')
  }
  return {
    production,
    port: vars.PORT,
    host: vars.HOST,
    database: databaseTarget(vars.DATABASE_URL, vars.DATA_DIR),
    dataDir: vars.DATA_DIR,
    tokens: tokens(vars),
    encryption: {
      key: encryptionKey?.[0],
      oldKeys: vars.ENCRYPTION_KEYS_OLD === undefined ? [] : parseKeyList('ENCRYPTION_KEYS_OLD', vars.ENCRYPTION_KEYS_OLD)
    },
    corsOrigins: vars.CORS_ORIGINS === undefined ? [] : vars.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    docsEnabled: vars.DOCS_ENABLED,
    adminUiEnabled: vars.ADMIN_UI_ENABLED,
    rateLimits: { writesPerMinute: vars.WRITE_RATE_LIMIT, authFailuresPerMinute: vars.AUTH_FAILURE_LIMIT },
    databaseDeadlineMs: vars.DATABASE_DEADLINE_MS,
    historyRetain: vars.HISTORY_RETAIN,
    watch: { max: vars.WATCH_MAX, heartbeatMs: vars.WATCH_HEARTBEAT_MS },
    verify: { timeoutMs: vars.VERIFY_TIMEOUT_MS, allowPrivate: vars.VERIFY_ALLOW_PRIVATE, perMinute: vars.VERIFY_RATE_LIMIT },
    metricsToken: vars.METRICS_TOKEN,
    pressure: { maxEventLoopDelayMs: vars.PRESSURE_MAX_EVENT_LOOP_DELAY_MS, maxHeapUsedBytes: vars.PRESSURE_MAX_HEAP_USED_BYTES },
    shutdownDrainMs: vars.SHUTDOWN_DRAIN_MS,
    logLevel: vars.LOG_LEVEL
  }
}

function tokens (vars: Static<typeof Env>): TokenEntry[] {
  const entries: TokenEntry[] = [
    // ADMIN_TOKEN (the core service's single token) is one admin token named "admin".
    ...(vars.ADMIN_TOKEN === undefined ? [] : [{ name: 'admin', role: 'admin' as const, token: vars.ADMIN_TOKEN }]),
    ...parseTokenList('ADMIN_TOKENS', 'admin', vars.ADMIN_TOKENS),
    ...parseTokenList('READER_TOKENS', 'reader', vars.READER_TOKENS),
    ...parseTokenList('CONSUMER_TOKENS', 'consumer', vars.CONSUMER_TOKENS)
  ]
  const seen = new Set<string>()
  for (const entry of entries) {
    // One token, one identity: otherwise a write could not be attributed.
    if (seen.has(entry.token)) throw new ConfigError(`Token "${entry.name}" (${entry.role}) uses a token value that is configured twice`)
    seen.add(entry.token)
  }
  return entries
}

function databaseTarget (url: string | undefined, dataDir: string): DatabaseTarget {
  if (url === undefined) return { kind: 'embedded', dataDir }
  if (url === 'memory://') return { kind: 'embedded', dataDir: null }
  return { kind: 'postgres', url }
}
