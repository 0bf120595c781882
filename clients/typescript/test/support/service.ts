// The real service for the client's tests: the process started as `npm start` runs it
// (test/support/server-process.ts, LLM_CONFIG_SERVER_JS naming the build), on a PostgreSQL
// database of the test's own (dropped at teardown) and a port of its own that survives a
// restart, so a client keeps its URL while the process behind it goes and comes back.
// PostgreSQL rather than the embedded database: a fresh embedded data directory migrates for
// 10+ s on this machine, a PostgreSQL database in well under one.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import postgres from 'postgres'
import { startServer, stop, type Env, type Server } from '../../../../test/support/server-process.js'

export const ADMIN_TOKEN = 'client-test-admin-token-0123456789'
export const CONSUMER_TOKEN = 'client-test-consumer-token-0123456789'
export const READER_TOKEN = 'client-test-reader-token-0123456789'
const ENCRYPTION_KEY = Buffer.alloc(32, 9).toString('base64')
const POSTGRES_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

interface Teardown { teardown: (fn: () => unknown) => void }

export interface Service {
  url: string
  /** The running process, or undefined while stopped. */
  server: Server | undefined
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** A port nobody listens on now (the kernel's choice for port 0, released at once). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

async function createDatabase (t: Teardown): Promise<string> {
  const name = `llm_config_client_ts_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
    await admin.end()
  })
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** The service's URL and controls; started unless `started: false`. */
export async function service (t: Teardown, { env = {}, started = true }: { env?: Env, started?: boolean } = {}): Promise<Service> {
  const [databaseUrl, port] = await Promise.all([createDatabase(t), freePort()])
  const serviceEnv: Env = {
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    CONSUMER_TOKENS: `worker:${CONSUMER_TOKEN}`,
    ENCRYPTION_KEY,
    WRITE_RATE_LIMIT: '100000',
    AUTH_FAILURE_LIMIT: '100000',
    WATCH_HEARTBEAT_MS: '1000',
    SHUTDOWN_DRAIN_MS: '0',
    ...env
  }
  const controls: Service = {
    url: `http://127.0.0.1:${port}`,
    server: undefined,
    start: async () => { controls.server = await startServer(t, serviceEnv) },
    stop: async () => {
      if (controls.server === undefined) return
      await stop(controls.server)
      controls.server = undefined
    }
  }
  if (started) await controls.start()
  return controls
}

/** A write as an admin makes it; resolves with the new configuration once the service acknowledged it. */
export async function patch (url: string, body: Record<string, unknown>): Promise<{ version: number, api_key_hint: string | null }> {
  const response = await fetch(`${url}/llm-config`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`PATCH answered ${response.status}: ${await response.text()}`)
  return await response.json() as { version: number, api_key_hint: string | null }
}
