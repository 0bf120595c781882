// The only module that reads process.env: the environment is parsed once, against a
// TypeBox schema, into a typed Config that is passed down from there.
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const Env = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({
    pattern: '^(memory://|postgres(ql)?://.+)$',
    description: 'postgres://… for PostgreSQL, memory:// for an in-memory embedded database, unset for an embedded database under DATA_DIR'
  }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  ADMIN_TOKEN: Type.String({ minLength: 16, description: 'bearer token for writes; generated at start when unset' }),
  LOG_LEVEL: Type.Enum(logLevels, { default: 'info' })
}, { required: ['PORT', 'HOST', 'DATA_DIR', 'LOG_LEVEL'] })

export type DatabaseTarget =
  | { kind: 'postgres', url: string }
  | { kind: 'embedded', dataDir: string | null } // null: in memory

export interface Config {
  port: number
  host: string
  database: DatabaseTarget
  /** Undefined when ADMIN_TOKEN is unset: the app then generates one at start. */
  adminToken: string | undefined
  logLevel: string
}

export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError naming the offending variable. */
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
    // Never echo the value: ADMIN_TOKEN and DATABASE_URL can hold secrets.
    const allowed = 'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : ''
    throw new ConfigError(`Invalid environment variable ${name}: ${error.message}${allowed}`)
  }
  const env_ = parsed as Static<typeof Env>
  return {
    port: env_.PORT,
    host: env_.HOST,
    database: databaseTarget(env_.DATABASE_URL, env_.DATA_DIR),
    adminToken: env_.ADMIN_TOKEN,
    logLevel: env_.LOG_LEVEL
  }
}

function databaseTarget (url: string | undefined, dataDir: string): DatabaseTarget {
  if (url === undefined) return { kind: 'embedded', dataDir }
  if (url === 'memory://') return { kind: 'embedded', dataDir: null }
  return { kind: 'postgres', url }
}
