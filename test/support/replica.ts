// Replicas of the real service for multi-process tests: dist/server.js started as children
// (as `npm start` runs it; see server-process.ts) on one PostgreSQL database, with a small
// HTTP client for reads, writes and the SSE watch stream. Every child is SIGKILLed at teardown.
import type { ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { startServer, type Server } from './server-process.js'

export const ADMIN_TOKEN = 'replicas-test-admin-token-0123456789'
/** One fixed key for every replica: each must decrypt what another stored. */
export const ENCRYPTION_KEY = Buffer.alloc(32, 11).toString('base64')

interface Teardown { teardown: (fn: () => unknown) => void }

export interface Replica extends Server {
  name: string
}

export interface ReplicaOptions {
  databaseUrl: string
  name: string
  /** Further variables (DATABASE_DEADLINE_MS, ...). */
  env?: Record<string, string>
  /** Called with the child at once (the private cluster's watchdog guards it). */
  guard?: (child: ChildProcess) => void
}

/** Starts dist/server.js on a free port (PORT=0) and waits for pino's "Server listening at". */
export async function startReplica (t: Teardown, { databaseUrl, name, env = {}, guard }: ReplicaOptions): Promise<Replica> {
  const server = await startServer(t, {
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    ENCRYPTION_KEY,
    WRITE_RATE_LIMIT: '1000000',
    AUTH_FAILURE_LIMIT: '1000000',
    ...env
  }, { name, guard })
  return { ...server, name }
}

/** `count` replicas on one database, started together (their migrations race under the advisory lock). */
export function startReplicas (t: Teardown, count: number, options: Omit<ReplicaOptions, 'name'>): Promise<Replica[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startReplica(t, { ...options, name: `replica ${String.fromCharCode(65 + i)}` })))
}

export interface Answer {
  status: number
  etag: string | null
  contentType: string | null
  /** body.version for a 200 (NaN otherwise). */
  version: number
  body: Record<string, unknown>
  /** performance.now() when the whole answer had arrived. */
  at: number
}

async function answer (res: Response): Promise<Answer> {
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {}
  const version = res.status === 200 && typeof body.version === 'number' ? body.version : NaN
  return { status: res.status, etag: res.headers.get('etag'), contentType: res.headers.get('content-type'), version, body, at: performance.now() }
}

/** GET /llm-config; `consistent` asks for a read from the database instead of the replica's copy. */
export async function readConfig (replica: Replica, { consistent = false } = {}): Promise<Answer> {
  const res = await fetch(`${replica.url}/llm-config`, {
    headers: consistent ? { 'cache-control': 'no-cache' } : {},
    signal: AbortSignal.timeout(15_000)
  })
  return answer(res)
}

/** PATCH /llm-config with the admin token, conditional when `ifMatch` is given. */
export async function patchConfig (replica: Replica, body: Record<string, unknown>, { ifMatch }: { ifMatch?: string } = {}): Promise<Answer> {
  const res = await fetch(`${replica.url}/llm-config`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'content-type': 'application/json',
      ...(ifMatch === undefined ? {} : { 'if-match': ifMatch })
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000)
  })
  return answer(res)
}

export interface SseEvent { id: string | undefined, event: string, data: string }

/** An open GET /llm-config/watch stream (one socket of its own), parsed as the HTML standard says. */
export interface Watcher {
  status: number
  contentType: string | undefined
  events: SseEvent[]
  /** Versions of the `config` events received, in order. */
  versions: () => number[]
  /** Resolves once `condition` holds; rejects after `timeoutMs`. */
  until: (condition: () => boolean, timeoutMs: number, what: string) => Promise<void>
  close: () => void
}

/** Opens the stream (with Last-Event-ID when given); resolves once the response head arrived. */
export function openWatcher (t: Teardown, replica: Replica, { lastEventId }: { lastEventId?: string } = {}): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const headers = lastEventId === undefined ? {} : { 'last-event-id': lastEventId }
    const req = request(`${replica.url}/llm-config/watch`, { headers, agent: false }, (res) => {
      const events: SseEvent[] = []
      const waiters = new Set<() => void>()
      let buffer = ''
      let pending: { id?: string, event: string, data?: string[] } = { event: '' }
      let lastId: string | undefined
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        const lines = buffer.split(/\r\n|\r|\n/)
        buffer = lines.pop() ?? ''
        for (const line of lines) {
          if (line === '') {
            if (pending.id !== undefined) lastId = pending.id
            if (pending.data !== undefined) events.push({ id: lastId, event: pending.event || 'message', data: pending.data.join('\n') })
            pending = { event: '' }
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':')
            const field = colon === -1 ? line : line.slice(0, colon)
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
            if (field === 'data') (pending.data ??= []).push(value)
            else if (field === 'event') pending.event = value
            else if (field === 'id') pending.id = value
          }
        }
        for (const waiter of [...waiters]) waiter()
      })
      res.on('error', () => {})
      const until = (condition: () => boolean, timeoutMs: number, what: string) => new Promise<void>((resolve, reject) => {
        if (condition()) return resolve()
        const check = () => {
          if (!condition()) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ids so far: ${events.map((e) => e.id).join(',')}`))
        }, timeoutMs)
        waiters.add(check)
      })
      const versions = () => events.filter((event) => event.event === 'config').map((event) => Number(event.id))
      t.teardown(() => req.destroy())
      resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], events, versions, until, close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The q-quantile (0..1) of the values, nearest rank. */
export function quantile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN
}
