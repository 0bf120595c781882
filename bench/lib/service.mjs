// The service as the bench runs it, shared by run.mjs and fanout.mjs: the production build
// (dist/server.js, or BENCH_SERVER_JS to measure another build), NODE_ENV=production,
// warn-level logs, an encryption key and an admin token, and nothing else inherited.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPostgresDatabase } from './database.mjs'
import { startServer } from './processes.mjs'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const serverScript = process.env.BENCH_SERVER_JS ?? join(root, 'dist', 'server.js')

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef'
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64')
export const API_KEY = 'sk-bench-0123456789abcdefWXYZ'
/** What the bench stores before measuring: an API key and a few settings, as a deployment would have. */
export const SETUP_PATCH = { provider: 'openai', api_key: API_KEY, model_tagger: 'gpt-4o-mini' }

// Everything the service reads from the environment is set here, nothing inherited.
const SERVICE_VARS = ['NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'DATA_DIR', 'ADMIN_TOKEN', 'ADMIN_TOKENS', 'READER_TOKENS',
  'CONSUMER_TOKENS', 'ENCRYPTION_KEY', 'ENCRYPTION_KEYS_OLD', 'CORS_ORIGINS', 'DOCS_ENABLED', 'WRITE_RATE_LIMIT',
  'AUTH_FAILURE_LIMIT', 'DATABASE_DEADLINE_MS', 'HISTORY_RETAIN', 'WATCH_MAX', 'WATCH_HEARTBEAT_MS', 'VERIFY_TIMEOUT_MS',
  'VERIFY_ALLOW_PRIVATE', 'VERIFY_RATE_LIMIT', 'LOG_LEVEL', 'NODE_OPTIONS', 'METRICS_TOKEN', 'ADMIN_UI_ENABLED',
  'PRESSURE_MAX_EVENT_LOOP_DELAY_MS', 'PRESSURE_MAX_HEAP_USED_BYTES', 'SHUTDOWN_DRAIN_MS']
export const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SERVICE_VARS.includes(name) && !name.startsWith('BENCH_')))

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/merge-patch+json' }

/**
 * @typedef {{ kind: 'postgres', url: string } | { kind: 'embedded', dataDir: string }} ServiceTarget
 */

/**
 * The service as users run it, on `target`'s database; `extra` adds to its environment (WATCH_MAX for the fan-out).
 * @param {ServiceTarget} target
 * @param {Record<string, string>} [extra]
 * @param {string[]} [nodeArgs]  options of node itself (--cpu-prof …)
 */
export function startService (target, extra = {}, nodeArgs = []) {
  return startServer({
    nodeArgs,
    name: `service (${target.kind})`,
    script: serverScript,
    cwd: root,
    env: {
      ...baseEnv,
      NODE_ENV: 'production',
      ENCRYPTION_KEY,
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      // The default (60 writes a minute per address) would answer the load with 429s.
      WRITE_RATE_LIMIT: '100000000',
      ...(target.kind === 'postgres' ? { DATABASE_URL: target.url } : { DATA_DIR: target.dataDir }),
      ...extra
    }
  })
}

/** One PATCH with the admin token; resolves with the answer's JSON, rejects on anything but 200. */
export async function patch (server, body) {
  const res = await fetch(`${server.url}/llm-config`, { method: 'PATCH', headers: adminHeaders, body: JSON.stringify(body) })
  if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`)
  return res.json()
}

/**
 * The database of a bench script run alone: a database of its own on BENCH_DATABASE_URL's
 * server, or an embedded one in a scratch folder; `cleanup` drops or removes it.
 * @returns {Promise<{ target: ServiceTarget, cleanup: () => Promise<void> }>}
 */
export async function standaloneTarget (name) {
  if (process.env.BENCH_DATABASE_URL) {
    const database = await createPostgresDatabase(process.env.BENCH_DATABASE_URL)
    return { target: { kind: 'postgres', url: database.url }, cleanup: () => database.drop() }
  }
  const scratch = await mkdtemp(join(tmpdir(), `llm-config-${name}-`))
  return { target: { kind: 'embedded', dataDir: join(scratch, 'service') }, cleanup: () => rm(scratch, { recursive: true, force: true }) }
}
