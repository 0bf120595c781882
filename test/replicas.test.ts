// Several replicas of the real process (dist/server.js) on one PostgreSQL database. Each keeps
// the current configuration in memory and answers GET /llm-config from it; every committed
// write NOTIFYs its version and every replica LISTENs and refreshes its copy. Covered here:
// how fast a write reaches the other replicas, compare-and-set across replicas, SSE watchers
// across replicas (with a reconnect elsewhere), a PostgreSQL restart under running replicas
// (on a private cluster), and two faults of the listening path made deterministic with a table
// lock: the listening connection dropping again during the re-read that follows LISTEN, and a
// refresh after NOTIFY that misses its deadline.
//
// The 200 ms propagation bound is the spec's correctness bound on propagation, not a benchmark.
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { createDatabaseOn, postgresServerUrl } from './helper.js'
import { createPrivateCluster, type StopMode } from './support/private-cluster.js'
import {
  openWatcher, patchConfig, quantile, readConfig, sleep, startReplicas,
  type Answer, type Replica, type Watcher
} from './support/replica.js'
import { assertBuilt } from './support/server-process.js'

t.setTimeout(10 * 60_000)

/** The spec's propagation target: a committed write is served by every replica within it. */
const PROPAGATION_MS = 200
/** After a fault: the bound within which every replica serves again what was written. */
const RECOVERY_MS = 2000
/** How often a reader polls GET /llm-config while waiting for a version. */
const POLL_MS = 2

await assertBuilt()

interface Teardown { teardown: (fn: () => unknown) => void }

const etagOf = (version: number) => `"${version}"`

/** Polls `probe` every 10 ms until it returns a value; throws after `ms`. */
async function until<T> (ms: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`)
    await sleep(10)
  }
}

/**
 * Polls GET /llm-config on `replica` until it serves `version` or newer; returns the answer, or
 * undefined after `timeoutMs`. Records into `problems` every answer that is not a 200 with an
 * ETag equal to its version, and every version lower than one this replica served before.
 */
async function awaitVersion (replica: Replica, version: number, timeoutMs: number, problems: string[], highest: Map<Replica, number>): Promise<Answer | undefined> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const seen = await readConfig(replica)
    if (seen.status !== 200) problems.push(`${replica.name}: GET ${seen.status} while waiting for version ${version}`)
    else {
      if (seen.etag !== etagOf(seen.version)) problems.push(`${replica.name}: ETag ${seen.etag} for version ${seen.version}`)
      const before = highest.get(replica) ?? 0
      if (seen.version < before) problems.push(`${replica.name}: served version ${seen.version} after ${before}`)
      highest.set(replica, Math.max(before, seen.version))
      if (seen.version >= version) return seen
    }
    if (performance.now() > deadline) return undefined
    await sleep(POLL_MS)
  }
}

t.test('a write through one replica is served by the others within 200 ms (p99 over 100 writes)', async (t) => {
  const databaseUrl = await createDatabaseOn(t, postgresServerUrl)
  const replicas = await startReplicas(t, 3, { databaseUrl })
  for (const replica of replicas) t.equal((await readConfig(replica)).status, 200, `${replica.name} serves`)

  const WRITES = 100
  const latencies: number[] = []
  const problems: string[] = []
  const highest = new Map<Replica, number>()
  for (let i = 0; i < WRITES; i++) {
    const writer = replicas[i % replicas.length]!
    const batchSize = 100 + i
    const written = await patchConfig(writer, { batch_size: batchSize })
    if (written.status !== 200 || written.etag !== etagOf(written.version)) {
      problems.push(`write #${i} through ${writer.name}: ${written.status}, ETag ${written.etag}, version ${written.version}`)
      continue
    }
    await Promise.all(replicas.map(async (replica) => {
      if (replica === writer) {
        // Read your own write: at once, never an older version.
        const own = await readConfig(replica)
        if (own.version < written.version) problems.push(`${writer.name} served ${own.version} right after writing ${written.version}`)
        highest.set(replica, Math.max(highest.get(replica) ?? 0, own.version))
        return
      }
      const seen = await awaitVersion(replica, written.version, 5000, problems, highest)
      if (seen === undefined) {
        problems.push(`${replica.name} did not serve version ${written.version} within 5 s`)
        latencies.push(Infinity)
        return
      }
      latencies.push(Math.max(0, seen.at - written.at))
      if (seen.version === written.version && seen.body.batch_size !== batchSize) {
        problems.push(`${replica.name}: version ${seen.version} with batch_size ${String(seen.body.batch_size)}, written ${batchSize}`)
      }
    }))
  }

  const p50 = quantile(latencies, 0.5)
  const p99 = quantile(latencies, 0.99)
  const max = quantile(latencies, 1)
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`
  t.comment(`propagation over ${WRITES} writes × 2 other replicas (acknowledged write → first GET showing it, polled every ${POLL_MS} ms): ` +
    `p50 ${fmt(p50)}, p99 ${fmt(p99)}, max ${fmt(max)}`)
  t.same(problems, [], 'every write 200 with ETag = version; no replica served an older version than before, or its own write late')
  t.equal(latencies.length, WRITES * 2, 'a measurement per write and other replica')
  t.ok(p99 <= PROPAGATION_MS, `p99 ${fmt(p99)} ≤ ${PROPAGATION_MS} ms`)
  for (const replica of replicas) t.ok(replica.alive(), `${replica.name} still runs`)
})

t.test('50 conditional writers with the same If-Match, spread over 3 replicas: one 200, 49 × 412', async (t) => {
  const databaseUrl = await createDatabaseOn(t, postgresServerUrl)
  const replicas = await startReplicas(t, 3, { databaseUrl })
  const WRITERS = 50

  for (let round = 1; round <= 3; round++) {
    t.test(`round ${round}`, async (t) => {
      const before = await readConfig(replicas[round % replicas.length]!, { consistent: true })
      t.equal(before.etag, etagOf(before.version), 'the ETag is the version')
      const results = await Promise.all(Array.from({ length: WRITERS }, (_, i) =>
        patchConfig(replicas[i % replicas.length]!, { batch_size: 1000 * round + i }, { ifMatch: before.etag! })))
      const statuses: Record<string, number> = {}
      for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1
      t.same(statuses, { 200: 1, 412: WRITERS - 1 }, `statuses ${JSON.stringify(statuses)}`)
      const winnerIndex = results.findIndex((result) => result.status === 200)
      const winner = results[winnerIndex]
      t.equal(winner?.version, before.version + 1, 'the winner made the next version')
      t.equal(winner?.etag, etagOf(before.version + 1), 'and answered with its ETag')
      t.ok(results.filter((result) => result.status === 412).every((result) => result.contentType?.startsWith('application/problem+json')),
        'every loser got a problem document')

      // Nothing else was written, and every replica serves the winner's state.
      for (const replica of replicas) {
        const stored = await readConfig(replica, { consistent: true })
        t.equal(stored.version, before.version + 1, `${replica.name}: exactly one version was added`)
        t.equal(stored.body.batch_size, 1000 * round + winnerIndex, `${replica.name}: the stored state is the winner's`)
        const problems: string[] = []
        const seen = await awaitVersion(replica, before.version + 1, RECOVERY_MS, problems, new Map())
        t.equal(seen?.version, before.version + 1, `${replica.name} serves the winner's version from its copy`)
        t.same(problems, [], `${replica.name}: every GET 200 with ETag = version`)
      }
    })
  }
})

t.test('SSE watchers on every replica get every version once, in order, across a reconnect elsewhere', async (t) => {
  const databaseUrl = await createDatabaseOn(t, postgresServerUrl)
  const replicas = await startReplicas(t, 3, { databaseUrl })
  const start = await readConfig(replicas[0]!, { consistent: true })
  const v0 = start.version

  const watchers = await Promise.all(replicas.map((replica) => openWatcher(t, replica)))
  for (const [i, watcher] of watchers.entries()) {
    t.equal(watcher.status, 200, `${replicas[i]!.name}: 200`)
    t.match(watcher.contentType, /^text\/event-stream/, 'an event stream')
    await watcher.until(() => watcher.versions().length >= 1, 5000, 'the current state')
    t.same(watcher.versions(), [v0], `${replicas[i]!.name}: first the current version`)
  }
  // The one that leaves replica A mid-way and comes back on replica B with Last-Event-ID.
  const first = await openWatcher(t, replicas[0]!)
  await first.until(() => first.versions().length >= 1, 5000, 'the current state')

  const BURSTS = 20 // each: one write through every replica at once, so NOTIFYs cross
  const DISCONNECT_AFTER = 6
  const RECONNECT_WITH = 10 // reconnects while this burst is being written
  const written = new Map<number, number>() // version → batch_size
  const problems: string[] = []
  let second: Watcher | undefined
  let lastEventId: string | undefined
  for (let burst = 0; burst < BURSTS; burst++) {
    const writes = Promise.all(replicas.map(async (replica, k) => {
      const batchSize = 3000 + burst * replicas.length + k
      const result = await patchConfig(replica, { batch_size: batchSize })
      if (result.status === 200) written.set(result.version, batchSize)
      else problems.push(`${replica.name}: PATCH ${result.status}`)
    }))
    if (burst === RECONNECT_WITH) second = await openWatcher(t, replicas[1]!, { lastEventId })
    await writes
    if (burst === DISCONNECT_AFTER) {
      first.close()
      lastEventId = first.events.at(-1)?.id
    }
    await sleep(10)
  }
  t.same(problems, [], 'every write 200')
  const vEnd = v0 + BURSTS * replicas.length
  t.same([...written.keys()].sort((a, b) => a - b), Array.from({ length: vEnd - v0 }, (_, i) => v0 + 1 + i), 'the writes made consecutive versions')
  const expected = Array.from({ length: vEnd - v0 + 1 }, (_, i) => v0 + i)

  const check = (watcher: Watcher, name: string, from: number) => {
    const bad = watcher.events.filter((event) => {
      if (event.event !== 'config') return true
      const config = JSON.parse(event.data) as { version: number, batch_size: number }
      return String(config.version) !== event.id || (config.version > v0 && config.batch_size !== written.get(config.version))
    })
    t.same(bad.map((event) => event.id), [], `${name}: every event is a config event whose id is its version and whose data is that version's state`)
    t.ok(watcher.versions()[0] === from, `${name}: starts at ${from}`)
  }
  for (const [i, watcher] of watchers.entries()) {
    await watcher.until(() => (watcher.versions().at(-1) ?? 0) >= vEnd, 5000, `version ${vEnd}`).catch(() => {})
    t.same(watcher.versions(), expected, `${replicas[i]!.name}: versions ${v0}..${vEnd}, each once, in order`)
    check(watcher, replicas[i]!.name, v0)
  }

  t.ok(lastEventId !== undefined && second !== undefined, 'the roaming watcher disconnected and reconnected')
  if (lastEventId === undefined || second === undefined) return
  const resumed = second
  t.equal(resumed.status, 200, 'the reconnect is accepted')
  await resumed.until(() => (resumed.versions().at(-1) ?? 0) >= vEnd, 5000, `version ${vEnd}`).catch(() => {})
  const before = first.versions()
  t.ok(Number(lastEventId) < v0 + RECONNECT_WITH * replicas.length, `it missed versions while away (left after ${lastEventId})`)
  t.same([...before, ...resumed.versions()], expected, `A up to ${lastEventId}, then B after it: ${v0}..${vEnd}, each once, in order`)
  check(resumed, 'the roaming watcher on replica B', Number(lastEventId) + 1)
})

t.test('PostgreSQL restarts under running replicas: they survive, serve no stale version, and listen again', async (t) => {
  const cluster = await createPrivateCluster(t)
  await cluster.start()
  const replicas = await startReplicas(t, 3, { databaseUrl: cluster.url, guard: (child) => cluster.guard(child) })
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {}, backoff: () => 0.05 })
  t.teardown(() => admin.end({ timeout: 1 }))
  /** Sessions whose last statement was LISTEN (the replicas' listening connections), or -1 when the server does not answer. */
  const listeningSessions = async () => {
    try {
      const [row] = await admin`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and query ilike 'listen %'`
      return row?.n as number
    } catch {
      return -1
    }
  }
  const countLogs = (replica: Replica, msg: string) => replica.logs().filter((line) => line.msg === msg).length

  const highest = new Map<Replica, number>()
  let writes = 0
  /** Writes through the next replica (retrying on 503 for up to `retryMs`), then waits for every replica to serve it. */
  const writeAndPropagate = async (t: Test, retryMs: number) => {
    const writer = replicas[writes % replicas.length]!
    const batchSize = 500 + writes++
    const deadline = performance.now() + retryMs
    const failures: number[] = []
    let written = await patchConfig(writer, { batch_size: batchSize })
    while (written.status === 503 && performance.now() < deadline) {
      failures.push(written.status)
      await sleep(50)
      written = await patchConfig(writer, { batch_size: batchSize })
    }
    t.equal(written.status, 200, `write through ${writer.name}: 200${failures.length > 0 ? ` (after ${failures.length} × 503)` : ''}`)
    const problems: string[] = []
    const latencies: number[] = []
    for (const replica of replicas) {
      const seen = await awaitVersion(replica, written.version, RECOVERY_MS, problems, highest)
      t.equal(seen?.version, written.version, `${replica.name} serves version ${written.version} within ${RECOVERY_MS} ms`)
      if (seen) latencies.push(Math.max(0, seen.at - written.at))
    }
    t.same(problems, [], 'every GET 200 with ETag = version, never older than what the replica served before')
    return { version: written.version, latencies }
  }

  await until(10_000, 'every replica listening', async () => (await listeningSessions()) === 3 ? true : undefined)
  await writeAndPropagate(t, 0)

  const scenarios: Array<{ name: string, mode: StopMode, downMs: number }> = [
    { name: 'restart (fast stop, start at once)', mode: 'fast', downMs: 0 },
    { name: 'crash (immediate stop), 3 s down, start', mode: 'immediate', downMs: 3000 }
  ]
  for (const { name, mode, downMs } of scenarios) {
    t.test(name, async (t) => {
      const drops = replicas.map((replica) => countLogs(replica, 'the LISTEN connection dropped: reading from the database until it is back'))
      const relistens = replicas.map((replica) => countLogs(replica, 'listening for configuration changes'))
      const lastWritten = Math.max(...highest.values())

      // Readers on every replica throughout: a 200 never shows a version older than the last write.
      const outage = { running: true, statuses: {} as Record<string, number>, stale: [] as string[] }
      const readers = replicas.map(async (replica) => {
        while (outage.running) {
          const seen = await readConfig(replica).catch((error: Error & { cause?: { code?: string } }) => ({ status: error.cause?.code ?? error.name, version: NaN }))
          outage.statuses[seen.status] = (outage.statuses[seen.status] ?? 0) + 1
          if (seen.status === 200 && seen.version < lastWritten) outage.stale.push(`${replica.name}: ${seen.version} < ${lastWritten}`)
          await sleep(50)
        }
      })
      await cluster.stop(mode)
      if (downMs > 0) await sleep(downMs)
      const back = await cluster.start()
      outage.running = false
      await Promise.all(readers)
      t.comment(`GET answers during the outage: ${JSON.stringify(outage.statuses)}`)
      t.same(outage.stale, [], 'no stale version while the database was away')
      for (const replica of replicas) t.ok(replica.alive(), `${replica.name} survived`)

      // A new write once the database is back: every replica serves it within 2 s.
      const after = await writeAndPropagate(t, 10_000)
      t.comment(`first write after the restart reached every replica ${after.latencies.map((ms) => `${ms.toFixed(1)} ms`).join(', ')} after it was acknowledged`)

      // Every listener is back: the replicas say so, and the server sees their LISTEN sessions.
      const relistened = await until(30_000, 'every replica listening again', async () => {
        const logged = replicas.every((replica, i) =>
          countLogs(replica, 'the LISTEN connection dropped: reading from the database until it is back') > drops[i]! &&
          countLogs(replica, 'listening for configuration changes') > relistens[i]!)
        return logged && await listeningSessions() === 3 ? performance.now() : undefined
      }).catch(() => undefined)
      t.ok(relistened !== undefined, 'every replica logged the drop and listening again, and 3 LISTEN sessions are open')
      if (relistened !== undefined) t.comment(`listening again ${Math.round(relistened - back)} ms after PostgreSQL accepted connections`)

      // A later write propagates through the listeners again.
      const later = await writeAndPropagate(t, 0)
      const slowest = Math.max(...later.latencies)
      t.comment(`a later write reached the other replicas within ${slowest.toFixed(1)} ms`)
      t.ok(slowest <= RECOVERY_MS, `within ${RECOVERY_MS} ms`)
      for (const replica of replicas) t.ok(replica.alive(), `${replica.name} still runs`)
    })
  }
})

/** A client for the test's own statements on the replicas' database. */
function adminOf (t: Teardown, databaseUrl: string) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, backoff: () => 0.05 })
  t.teardown(() => sql.end({ timeout: 1 }))
  const name = new URL(databaseUrl).pathname.slice(1)
  return {
    sql,
    /** Backend pids of the sessions on this database whose last statement was LISTEN. */
    listeners: async () => (await sql`select pid from pg_stat_activity where datname = ${name} and query ilike 'listen %' order by pid`).map((row) => row.pid as number),
    /** How many sessions on this database wait for a lock. */
    lockWaiters: async () => (await sql`select count(*)::int as n from pg_stat_activity where datname = ${name} and wait_event_type = 'Lock'`)[0]?.n as number,
    terminate: (pid: number) => sql`select pg_terminate_backend(${pid})`,
    /** A session of its own, for a transaction spread over several statements. */
    session: () => {
      const session = postgres(databaseUrl, { max: 1, onnotice: () => {} })
      t.teardown(() => session.end({ timeout: 1 }))
      return session
    }
  }
}

t.test('the listening connection drops again while the replica re-reads after LISTEN: it keeps reading from the database', async (t) => {
  // The re-read after LISTEN is held up by a table lock, so that the second drop lands in it.
  const databaseUrl = await createDatabaseOn(t, postgresServerUrl)
  const [replica] = await startReplicas(t, 1, { databaseUrl, env: { DATABASE_DEADLINE_MS: '10000' } })
  const admin = adminOf(t, databaseUrl)
  const [first] = await until(10_000, 'the replica listening', async () => { const pids = await admin.listeners(); return pids.length === 1 ? pids : undefined })
  const locker = admin.session()
  await locker.unsafe('begin; lock table llm_config in access exclusive mode').simple()

  await admin.terminate(first!)
  const second = await until(5000, 'a new LISTEN session', async () => (await admin.listeners()).find((pid) => pid !== first))
  await until(5000, 'the re-read waiting for the lock', async () => (await admin.lockWaiters()) >= 1 ? true : undefined)
  await admin.terminate(second) // the drop lands while the re-read waits
  await sleep(200)
  await locker.unsafe('commit').simple()

  // The replica has had time to notice; then a write elsewhere (a second replica).
  await sleep(1000)
  const listening = await admin.listeners()
  const [writer] = await startReplicas(t, 1, { databaseUrl })
  const written = await patchConfig(writer!, { batch_size: 4321 })
  t.equal(written.status, 200, 'a write through another replica')
  const problems: string[] = []
  const seen = await awaitVersion(replica!, written.version, RECOVERY_MS, problems, new Map())
  t.equal(seen?.version, written.version, `the replica serves the new version within ${RECOVERY_MS} ms ` +
    `(listening sessions of the first replica after the second drop: ${listening.length})`)
  t.same(problems, [], 'every GET 200 with ETag = version')
  const final = await readConfig(replica!)
  t.equal(final.version, written.version, `and still does (serves ${final.version}; the database has ${written.version})`)
})

t.test('a refresh after NOTIFY that fails (the read misses its deadline) does not leave the replica on the old version', async (t) => {
  const databaseUrl = await createDatabaseOn(t, postgresServerUrl)
  const [replica] = await startReplicas(t, 1, { databaseUrl, env: { DATABASE_DEADLINE_MS: '500' } })
  const admin = adminOf(t, databaseUrl)
  await until(10_000, 'the replica listening', async () => (await admin.listeners()).length === 1 ? true : undefined)
  const before = await readConfig(replica!)

  // A committed change with its NOTIFY, and at once (same round trip) a lock that holds up
  // the replica's refresh past its deadline.
  const locker = admin.session()
  await locker.unsafe(`begin;
    update llm_config set batch_size = 4242, version = version + 1, updated_at = now();
    select pg_notify('llm_config', (select version::text from llm_config order by id limit 1));
    commit;
    begin;
    lock table llm_config in access exclusive mode`).simple()
  await sleep(1500)
  await locker.unsafe('commit').simple()
  const refreshFailed = replica!.logs().some((line) => line.msg === 'refresh after NOTIFY failed')

  const problems: string[] = []
  const seen = await awaitVersion(replica!, before.version + 1, RECOVERY_MS, problems, new Map())
  const stored = await readConfig(replica!, { consistent: true })
  t.equal(stored.version, before.version + 1, 'the database has the new version')
  t.equal(seen?.version, before.version + 1, `the replica serves it within ${RECOVERY_MS} ms (its refresh ${refreshFailed ? 'failed' : 'did not fail'})`)
  t.same(problems, [], 'every GET 200 with ETag = version')
})
