// Surviving database faults: the real process (dist/server.js, as `npm start` runs it) against
// a PostgreSQL cluster of the test's own, which is stopped (fast and immediate), started again
// and frozen (SIGSTOP) under a steady load of reads and writes. While the database is gone,
// every request gets a 503 problem with Retry-After promptly (it never hangs) and the process
// survives; it serves again within 2 s of the database's return; no acknowledged write is lost.
//
// A plain GET may be answered from the replica's copy of the configuration (kept fresh by
// NOTIFY) without touching the database; `Cache-Control: no-cache` makes it read the database.
// The load has both kinds: the no-cache reads carry the 503 and recovery assertions, and every
// successful read, of either kind, must show at least the last write acknowledged before it.
import { stat } from 'node:fs/promises'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { createPrivateCluster, processState, type PrivateCluster, type StopMode } from './support/private-cluster.js'
import { assertBuilt, exitOf, startServer as startProcess, within, type Server } from './support/server-process.js'

t.setTimeout(10 * 60_000)

const ADMIN_TOKEN = 'faults-test-admin-token-0123456789'
const DEADLINE_MS = 1000 // DATABASE_DEADLINE_MS for the server under test
/** A bound on hanging, not a performance target: every answer comes within it. */
const HANG_BOUND_MS = 3 * DEADLINE_MS
/** The database is back → the first successful GET within this. */
const RECOVERY_MS = 2000
/** How long the database stays away: longer than HANG_BOUND_MS, so that a hanging request shows. */
const OUTAGE_MS = 5000
/** The client gives up on a request after this (only a hang reaches it). */
const ABORT_MS = 15_000

// The build `npm test` made before tap started: what `npm start` runs.
await assertBuilt()

interface Teardown { teardown: (fn: () => unknown) => void }

/** Starts dist/server.js on a free port against the cluster and waits for "Server listening at". */
function startServer (t: Teardown, cluster: PrivateCluster): Promise<Server> {
  return startProcess(t, {
    DATABASE_URL: cluster.url,
    DATABASE_DEADLINE_MS: String(DEADLINE_MS),
    ADMIN_TOKEN,
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    WRITE_RATE_LIMIT: '1000000' // the load writes far more than 60 a minute
  }, { guard: (child) => cluster.guard(child) })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until check() returns a value (not undefined), or gives up after ms. */
async function waitFor<T> (ms: number, check: () => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
  const deadline = performance.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined || performance.now() > deadline) return value
    await sleep(10)
  }
}

interface Sample {
  method: 'GET' | 'PATCH'
  path: string
  /** GET: 'database' sent Cache-Control: no-cache; 'replica' may be served from the copy. */
  read?: 'database' | 'replica'
  /** PATCH: the batch_size sent. */
  sent?: number
  start: number
  end: number
  status?: number
  /** A failure without a response (refused, reset, aborted after ABORT_MS). */
  error?: string
  contentType?: string | null
  retryAfter?: string | null
  body?: Record<string, unknown>
}

const ms = (sample: Sample) => sample.end - sample.start

async function send (server: Server, method: 'GET' | 'PATCH', path: string, sent?: number, read?: 'database' | 'replica'): Promise<Sample> {
  const start = performance.now()
  const headers: Record<string, string> = method === 'PATCH'
    ? { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
    : read === 'database' ? { 'cache-control': 'no-cache' } : {}
  try {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      body: method === 'PATCH' ? JSON.stringify({ batch_size: sent }) : undefined,
      signal: AbortSignal.timeout(ABORT_MS)
    })
    const text = await res.text()
    let body: Record<string, unknown> | undefined
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {}
    const end = performance.now()
    const contentType = res.headers.get('content-type')
    const retryAfter = res.headers.get('retry-after')
    return { method, path, read, sent, start, end, status: res.status, body, contentType, retryAfter }
  } catch (error) {
    const err = error as Error & { cause?: { code?: string } }
    return { method, path, read, sent, start, end: performance.now(), error: err.cause?.code ?? err.name }
  }
}

/**
 * A steady load: a few concurrent readers (GET /llm-config, two reading the database, one
 * that may be served from the replica's copy) and one writer whose PATCHes are sequential with
 * an increasing batch_size, so the last acknowledged value is the one that must be stored.
 */
function startLoad (server: Server, { firstBatchSize = 100 } = {}) {
  const samples: Sample[] = []
  const state = { running: true }
  let next = firstBatchSize
  const reader = async (read: 'database' | 'replica') => {
    while (state.running) {
      samples.push(await send(server, 'GET', '/llm-config', undefined, read))
      await sleep(20)
    }
  }
  const writer = async () => {
    while (state.running) {
      samples.push(await send(server, 'PATCH', '/llm-config', next++))
      await sleep(40)
    }
  }
  const done = Promise.all([reader('database'), reader('database'), reader('replica'), writer()])
  return {
    samples,
    stop: async () => {
      state.running = false
      await done
    }
  }
}

/** What is wrong with a 503 answer: it must be a problem (RFC 9457) with Retry-After (RFC 9110 §10.2.3). */
function problemDefects (sample: Sample): string[] {
  const defects: string[] = []
  if (!/^application\/problem\+json\b/.test(sample.contentType ?? '')) defects.push(`content-type ${sample.contentType}`)
  if (!/^\d+$/.test(sample.retryAfter ?? '') && Number.isNaN(Date.parse(sample.retryAfter ?? ''))) defects.push(`Retry-After ${sample.retryAfter}`)
  if (sample.body?.status !== 503) defects.push(`problem status ${String(sample.body?.status)}`)
  return defects
}

function describe (sample: Sample, origin: number): string {
  const outcome = sample.error ?? `${sample.status}`
  const what = sample.sent !== undefined ? ` batch_size=${sample.sent}` : sample.read === 'database' ? ' (no-cache)' : ''
  return `${sample.method} ${sample.path}${what} at +${Math.round(sample.start - origin)} ms → ${outcome} after ${Math.round(ms(sample))} ms`
}

/** The server's log lines (pino's `time` is epoch ms) between two performance.now() moments, at warn and above. */
function serverLogBetween (server: Server, from: number, to: number): string[] {
  const offset = Date.now() - performance.now()
  return server.logs()
    .filter((line) => (line.level ?? 0) >= 40 && typeof line.time === 'number' && line.time >= from + offset && line.time <= to + offset)
    .map((line) => `+${Math.round((line.time as number) - offset - from)} ms ${line.msg} ${JSON.stringify(line.err ?? '')}`)
}

async function storedBatchSize (cluster: PrivateCluster): Promise<number> {
  const sql = postgres(cluster.url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    const rows = await sql`select batch_size from llm_config`
    if (rows.length !== 1) throw new Error(`expected one configuration row, found ${rows.length}`)
    return Number(rows[0]?.batch_size)
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/** The server and the cluster it runs on, warmed up. */
async function setUp (t: Teardown) {
  const cluster = await createPrivateCluster(t)
  await cluster.start()
  const server = await startServer(t, cluster)
  return { cluster, server }
}

type Fault = { kind: 'stop', mode: StopMode } | { kind: 'freeze' }

/**
 * One outage under load. The database goes away (downAt: stopped, or frozen), stays away for
 * OUTAGE_MS, and comes back (backAt: accepting connections again, or thawed).
 */
async function outageUnderLoad (t: Test, fault: Fault) {
  const { cluster, server } = await setUp(t)
  const warm = await send(server, 'GET', '/llm-config', undefined, 'database')
  t.equal(warm.status, 200, 'warm: GET 200 before the fault')

  const load = startLoad(server)
  const origin = performance.now()
  await sleep(1000)
  const beforeFault = load.samples.filter((s) => s.status === 200)
  t.ok(beforeFault.some((s) => s.method === 'PATCH'), `writes are acknowledged before the fault (${beforeFault.length} requests 200)`)

  let frozenPids: number[] = []
  if (fault.kind === 'stop') await cluster.stop(fault.mode)
  else frozenPids = await cluster.freeze()
  const downAt = performance.now()
  if (fault.kind === 'freeze') {
    const states = await Promise.all(frozenPids.map(processState))
    t.ok(states.every((state) => state === 'T'), `all ${frozenPids.length} PostgreSQL processes are stopped (SIGSTOP)`)
  } else {
    t.equal(cluster.pid(), undefined, `the cluster is stopped (${fault.mode})`)
  }

  await sleep(OUTAGE_MS)
  const endOfOutage = performance.now() // the cluster is still away here
  let backAt: number
  if (fault.kind === 'stop') {
    backAt = await cluster.start() // when the postmaster logged it accepts connections
  } else {
    await cluster.thaw()
    backAt = performance.now()
  }

  const firstOk = await waitFor(10_000, () => {
    const ok = load.samples.filter((s) => s.read === 'database' && s.status === 200 && s.start >= downAt && s.end >= backAt)
    return ok.length > 0 ? Math.min(...ok.map((s) => s.end)) : undefined
  })
  const recoveryMs = firstOk === undefined ? Infinity : firstOk - backAt
  // Some load after the recovery too: writes that follow the outage must land as well.
  await sleep(1000)
  await load.stop()
  const samples = load.samples
  const label = fault.kind === 'stop' ? `stop (${fault.mode})` : 'freeze'

  // No hang, no failed connection, only 200 or 503, and every 503 a proper problem.
  const slowest = samples.reduce((max, s) => Math.max(max, ms(s)), 0)
  const slow = samples.filter((s) => ms(s) > HANG_BOUND_MS)
  t.same(slow.map((s) => describe(s, origin)), [], `every answer within ${HANG_BOUND_MS} ms (3× the deadline; slowest ${Math.round(slowest)} ms)`)
  const failed = samples.filter((s) => s.error !== undefined)
  t.same(failed.slice(0, 10).map((s) => describe(s, origin)), [], `every request got an HTTP answer (nothing refused, reset or aborted; ${failed.length} did not)`)
  const odd = samples.filter((s) => s.status !== undefined && s.status !== 200 && s.status !== 503)
  t.same(odd.map((s) => `${describe(s, origin)} ${JSON.stringify(s.body)}`), [], 'every answer is 200 or 503')
  const unavailable = samples.filter((s) => s.status === 503)
  const malformed = unavailable.filter((s) => problemDefects(s).length > 0)
  t.same(malformed.map((s) => `${describe(s, origin)}: ${problemDefects(s).join(', ')}`), [], 'every 503 is application/problem+json with Retry-After')

  // While the database was away: every request that started and ended then and needed the
  // database (writes, no-cache reads) is a 503. Reads from the replica's copy may succeed.
  const duringOutage = samples.filter((s) => s.start >= downAt && s.end <= endOfOutage)
  const needingDatabase = duringOutage.filter((s) => s.read !== 'replica')
  const servedDuring = needingDatabase.filter((s) => s.status !== 503)
  t.ok(needingDatabase.length >= 6, `requests needing the database ran during the outage (${needingDatabase.length})`)
  t.same(servedDuring.map((s) => describe(s, origin)), [], 'each PATCH and no-cache GET during the outage answered 503')
  const fromCopy = duringOutage.filter((s) => s.read === 'replica')
  t.comment(`${label}: plain GETs during the outage: ${fromCopy.filter((s) => s.status === 200).length} answered 200 (replica's copy), ` +
    `${fromCopy.filter((s) => s.status === 503).length} answered 503`)

  // Every successful read shows at least the last write acknowledged before it was sent.
  const patchesByEnd = samples.filter((s) => s.method === 'PATCH' && s.status === 200).sort((a, b) => a.end - b.end)
  const stale = samples.filter((s) => s.method === 'GET' && s.status === 200).filter((s) => {
    const before = patchesByEnd.filter((p) => p.end < s.start).at(-1)
    return before !== undefined && (typeof s.body?.batch_size !== 'number' || s.body.batch_size < (before.sent ?? 0))
  })
  t.same(stale.slice(0, 10).map((s) => `${describe(s, origin)} showed batch_size ${String(s.body?.batch_size)}`), [],
    `no read shows less than the last acknowledged write (${stale.length} did)`)
  const outage503 = needingDatabase.filter((s) => s.status === 503).map(ms)
  t.comment(`${label}: ${needingDatabase.length} PATCH and no-cache GET requests during the ${OUTAGE_MS} ms outage, ${outage503.length} answered 503` +
    (outage503.length > 0 ? ` in ${Math.round(Math.min(...outage503))}–${Math.round(Math.max(...outage503))} ms` : '') + ` (deadline ${DEADLINE_MS} ms)`)
  t.ok(outage503.length > 0 && Math.max(...outage503) <= HANG_BOUND_MS, `503s came within ${HANG_BOUND_MS} ms`)

  // Recovery.
  t.comment(`${label}: first no-cache GET 200 ${Number.isFinite(recoveryMs) ? Math.round(recoveryMs) : 'never'} ms after the database was back`)
  if (!t.ok(recoveryMs <= RECOVERY_MS, `first successful no-cache GET within ${RECOVERY_MS} ms of the database's return (${Math.round(recoveryMs)} ms)`)) {
    // What the requests in between got, and what the server logged meanwhile.
    const between = samples.filter((s) => s.end >= backAt && (firstOk === undefined || s.end <= firstOk)).slice(0, 30)
    t.comment(`answers after the database was back (+${Math.round(backAt - origin)} ms), the first 30:\n` +
      between.map((s) => `${describe(s, origin)} ${s.status === 503 ? String(s.body?.detail) : ''}`).join('\n'))
    t.comment(`server log then:\n${serverLogBetween(server, backAt, firstOk ?? performance.now()).join('\n')}`)
  }

  // No acknowledged write lost. The PATCHes were sequential with increasing values, so the
  // stored value is the last acknowledged one, or that of a later PATCH whose outcome the
  // client could not know (answered 503: it may or may not have been applied).
  const patches = samples.filter((s) => s.method === 'PATCH').sort((a, b) => a.start - b.start)
  const acked = patches.filter((s) => s.status === 200)
  const wrongEcho = acked.filter((s) => s.body?.batch_size !== s.sent)
  t.same(wrongEcho.map((s) => describe(s, origin)), [], 'each acknowledged PATCH answered with the value it wrote')
  const lastAcked = acked.at(-1)
  t.ok(lastAcked, `PATCHes were acknowledged (${acked.length} of ${patches.length})`)
  t.ok(acked.some((s) => s.start >= backAt), 'PATCHes were acknowledged after the database was back')
  const uncertain = patches.filter((s) => lastAcked !== undefined && s.start > lastAcked.start && s.status !== 200).map((s) => s.sent)
  const allowed = [lastAcked?.sent, ...uncertain]
  const viaApi = await send(server, 'GET', '/llm-config', undefined, 'database')
  const stored = await storedBatchSize(cluster)
  t.equal(viaApi.status, 200, 'GET after the load: 200')
  t.equal(viaApi.body?.batch_size, stored, 'the API shows what the database holds')
  t.ok(allowed.includes(stored), `stored batch_size ${stored} is the last acknowledged ${lastAcked?.sent}` +
    (uncertain.length > 0 ? ` or one of the ${uncertain.length} later unacknowledged values` : ''))
  t.comment(`${label}: ${acked.length} of ${patches.length} PATCHes acknowledged, last ${lastAcked?.sent}; stored ${stored}`)
  // A write answered 503 must not be applied later, over writes acknowledged after it (that
  // would lose them): look again once things had time to settle.
  await sleep(3000)
  const settled = await storedBatchSize(cluster)
  if (!t.equal(settled, stored, 'the stored value does not change afterwards (no late write undoes acknowledged ones)')) {
    const culprit = patches.find((s) => s.sent === settled)
    t.comment(`${label}: batch_size went from ${stored} back to ${settled}, written by ` +
      `${culprit ? `${describe(culprit, origin)} (${String(culprit.body?.detail)})` : 'an unknown request'}; ` +
      `the database was back at +${Math.round(backAt - origin)} ms, the load stopped before +${Math.round(performance.now() - 3000 - origin)} ms`)
  }

  // The process survived it all, and still shuts down cleanly.
  if (!t.same({ code: server.process.exitCode, signal: server.process.signalCode }, { code: null, signal: null }, 'the process is still running')) {
    t.comment(`the server exited; stderr:\n${server.stderr()}\nlast log lines:\n${server.stdout().split('\n').slice(-15).join('\n')}`)
  }
  t.equal((await send(server, 'GET', '/healthz')).status, 200, '/healthz 200')
  const fatal = server.logs().filter((line) => (line.level ?? 0) >= 60 || /uncaught/i.test(line.msg ?? ''))
  t.same(fatal.map((line) => line.msg), [], 'no uncaught error, nothing logged at fatal level')
  server.process.kill('SIGTERM')
  const exit = await exitOf(server, 15_000)
  t.same(exit, { code: 0, signal: null }, 'SIGTERM afterwards: exit code 0')
  const counts: Record<string, number> = {}
  for (const s of samples) {
    const key = `${s.method}${s.read === 'database' ? ' no-cache' : ''} ${s.status ?? s.error}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  t.comment(`${label}: ${samples.length} requests: ${JSON.stringify(counts)}`)
}

t.test('the private cluster harness: start, freeze, thaw, stop, restart, destroy', async (t) => {
  const cluster = await createPrivateCluster(t)
  const startedAt = performance.now()
  const readyAt = await cluster.start()
  t.comment(`private cluster: initdb done, start → accepting connections ${Math.round(readyAt - startedAt)} ms`)
  t.match(cluster.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/, 'a URL on 127.0.0.1')
  t.ok((await stat(cluster.dir)).isDirectory(), 'its directory exists')

  const sql = postgres(cluster.url, { max: 1, onnotice: () => {}, connect_timeout: 2 })
  t.teardown(() => sql.end({ timeout: 0 }))
  const [settings] = await sql`select current_setting('port') as port, current_setting('listen_addresses') as listen,
    current_setting('unix_socket_directories') as sockets`
  t.same(settings, { port: String(cluster.port), listen: '127.0.0.1', sockets: cluster.dir }, 'its own port, address and socket directory')

  const processes = await cluster.processes()
  t.ok(processes.length >= 4, `postmaster and children (${processes.length} processes)`)
  const frozen = await cluster.freeze()
  t.same([...frozen].sort(), [...await cluster.processes()].sort(), 'freeze stops every process of the cluster')
  t.ok((await Promise.all(frozen.map(processState))).every((state) => state === 'T'), 'all in state T (stopped)')
  const pending = sql`select 2 as answer`
  const raced = await Promise.race([pending.then(() => 'answered'), sleep(1000).then(() => 'no answer')])
  t.equal(raced, 'no answer', 'a query gets no answer while frozen')
  await cluster.thaw()
  t.same(await within(5000, 'the pending query', pending), [{ answer: 2 }], 'thawed: the pending query is answered')
  t.ok((await Promise.all(frozen.map(processState))).every((state) => state !== 'T'), 'no process stopped any more')

  await sql`create table harness_check (value int)`
  await sql`insert into harness_check values (1)`
  for (const mode of ['fast', 'immediate'] as const) {
    const pids = await cluster.processes()
    await cluster.stop(mode)
    t.equal(cluster.pid(), undefined, `stop(${mode}): no postmaster`)
    t.same((await Promise.all(pids.map(processState))).filter((state) => state !== undefined), [], `stop(${mode}): every process exited`)
    const refused = await sql`select 1`.then(() => 'answered', (error: { code?: string }) => error.code)
    t.equal(refused, 'ECONNREFUSED', `stop(${mode}): connections are refused`)
    await cluster.start()
    t.same(await sql`select count(*)::int as n from harness_check`, [{ n: 1 }], `started again after stop(${mode}): the data is there`)
  }

  const last = await cluster.processes()
  await cluster.freeze()
  await cluster.destroy()
  t.same((await Promise.all(last.map(processState))).filter((state) => state !== undefined && state !== 'Z'), [],
    'destroy (even when frozen): no process left')
  t.equal(await stat(cluster.dir).then(() => 'exists', () => 'gone'), 'gone', 'destroy: the directory is deleted')
})

t.test('PostgreSQL stopped (fast) under load: 503 while down, served again within 2 s, no acknowledged write lost', (t) =>
  outageUnderLoad(t, { kind: 'stop', mode: 'fast' }))

t.test('PostgreSQL stopped (immediate) under load: 503 while down, served again within 2 s, no acknowledged write lost', (t) =>
  outageUnderLoad(t, { kind: 'stop', mode: 'immediate' }))

t.test('PostgreSQL frozen (SIGSTOP) under load: 503 within the deadline, served again within 2 s of SIGCONT, no acknowledged write lost', (t) =>
  outageUnderLoad(t, { kind: 'freeze' }))

t.test('/readyz: 503 while the database is down or frozen, 200 once it is back', async (t) => {
  const { cluster, server } = await setUp(t)
  const ready = async () => send(server, 'GET', '/readyz')
  t.equal((await ready()).status, 200, '200 while the database is up')

  for (const fault of ['stopped', 'frozen'] as const) {
    if (fault === 'stopped') await cluster.stop('fast')
    else await cluster.freeze()
    for (let i = 0; i < 3; i++) {
      const res = await ready()
      t.equal(res.status, 503, `${fault}: 503 (check ${i + 1})`)
      t.match(res.contentType, /^application\/problem\+json/, `${fault}: a problem`)
      t.ok(ms(res) <= HANG_BOUND_MS, `${fault}: answered within ${HANG_BOUND_MS} ms (${Math.round(ms(res))} ms)`)
      if (i === 0) t.comment(`/readyz while ${fault}: 503 in ${Math.round(ms(res))} ms, Retry-After ${res.retryAfter ?? 'absent'}`)
    }
    let backAt: number
    if (fault === 'stopped') {
      backAt = await cluster.start()
    } else {
      await cluster.thaw()
      backAt = performance.now()
    }
    const okAt = await waitFor(10_000, async () => {
      const res = await ready()
      return res.status === 200 ? res.end : undefined
    })
    const recoveryMs = okAt === undefined ? Infinity : okAt - backAt
    t.comment(`/readyz after ${fault === 'stopped' ? 'restart' : 'thaw'}: 200 ${Math.round(recoveryMs)} ms after the database was back`)
    t.ok(recoveryMs <= RECOVERY_MS, `${fault}: 200 again within ${RECOVERY_MS} ms (${Math.round(recoveryMs)} ms)`)
  }
  t.equal(server.process.exitCode, null, 'the process is still running')
})
