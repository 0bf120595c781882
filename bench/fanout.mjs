// The fan-out figure: N live SSE watchers of GET /llm-config/watch on ONE replica (the
// service's own process, dist/server.js), one write, and the time until every watcher has the
// new version, measured from the write's acknowledgement (its 200). Also the replica's RSS per
// watcher: (RSS with N watchers − RSS with none) ÷ N. See docs/benchmarks.md.
//
//   node bench/fanout.mjs                   alone (after npm run build); BENCH_DATABASE_URL as
//                                           for npm run bench, or the embedded database
//   BENCH_FANOUT_SIZES (1000,10000)         watchers, cumulative on the same replica
//   BENCH_FANOUT_WRITES (5)                 writes per size; each figure is the median write's
//   BENCH_FANOUT_SETTLE_S (3)               quiet seconds before each RSS reading
//   BENCH_SERVER_JS                         another build of the service (default dist/server.js)
//   BENCH_FANOUT_CPU_PROF=<dir>             the service runs with --cpu-prof into <dir>; the result
//                                           lists each write's window (CLOCK_MONOTONIC, µs, as the profile's)
//
// npm run bench runs it in a child process of its own (runFanout), on the bench's database.
// 10,000 watchers need 10,000 descriptors in this process and as many in the service's: when
// the soft limit (ulimit -n) is lower, this script starts itself again under
// `sh -c 'ulimit -n …; exec node …'`, up to the hard limit (ulimit -Hn), and the service it
// starts inherits that limit. Sizes beyond the hard limit are skipped, and the run says so.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { cpuMs, get, killAllChildren, memory, runScript, sleep } from './lib/processes.mjs'
import { median } from './lib/report.mjs'
import { adminHeaders, baseEnv, patch, root, SETUP_PATCH, standaloneTarget, startService } from './lib/service.mjs'
import { watcherPool } from './lib/watchers.mjs'

const self = fileURLToPath(import.meta.url)
const log = (message) => process.stderr.write(`[bench fan-out] ${message}\n`)

/** The bench's settings for the fan-out, from BENCH_FANOUT_*. */
export function fanoutSettings (env = process.env) {
  const sizes = (env.BENCH_FANOUT_SIZES ?? '1000,10000').split(',').map(Number)
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('BENCH_FANOUT_SIZES must be positive integers, comma-separated')
  const int = (name, fallback) => {
    const value = Number(env[name] ?? fallback)
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`)
    return value
  }
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    writes: int('BENCH_FANOUT_WRITES', 5),
    settleS: int('BENCH_FANOUT_SETTLE_S', 3),
    // WATCH_MAX of the bench's replica: the default (100) would refuse the 101st watcher.
    watchMax: Math.max(20_000, ...sizes),
    // The default heartbeat, as users run it: every watcher has its timer.
    heartbeatMs: 15_000,
    // A write whose version has not reached every watcher after this long counts as not delivered.
    deadlineMs: 30_000
  }
}

/** Open-file limits of this process (soft, hard), from /proc/self/limits. */
function openFileLimits () {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  const value = (v) => v === 'unlimited' ? Infinity : Number(v)
  return line ? { soft: value(line[1]), hard: value(line[2]) } : { soft: Infinity, hard: Infinity }
}

/** Descriptors a size needs in each process: one socket per watcher, and room for the rest. */
const descriptorsFor = (n) => n + 256

/** Percentile of sorted values (nearest rank). */
const percentile = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] : NaN

/** The watchers the service itself counts (its /metrics gauge), or NaN if it does not say. */
async function serverWatchers (server) {
  const { status, body } = await get(`${server.url}/metrics`)
  const match = status === 200 ? /^llm_config_watchers(?:\{[^}]*\})? (\d+)/m.exec(body) : null
  return match ? Number(match[1]) : NaN
}

/** One write with `pool` watching: from the write's 200 until every watcher has its version. */
async function oneWrite (server, pool, value, deadlineMs) {
  const cpuBefore = cpuMs(server.pid)
  const generatorBefore = process.cpuUsage()
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const sent = performance.now()
  const window = [Number(process.hrtime.bigint() / 1000n)]
  const res = await fetch(`${server.url}/llm-config`, { method: 'PATCH', headers: adminHeaders, body: JSON.stringify({ batch_size: value }) })
  const answer = await res.json()
  const acked = performance.now()
  if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${JSON.stringify(answer)}`)
  const version = answer.version
  const all = await pool.until(version, deadlineMs)
  const done = performance.now()
  window.push(Number(process.hrtime.bigint() / 1000n))
  loop.disable()
  const cpu = cpuMs(server.pid) - cpuBefore
  const generator = process.cpuUsage(generatorBefore)
  const open = pool.watchers.filter((w) => w.open)
  const got = open.filter((w) => w.version >= version)
  // A watcher's time is when its bytes of this version were read, here, in the load generator.
  const latencies = got.map((w) => Math.max(0, w.at - acked)).sort((a, b) => a - b)
  return {
    version,
    watchers: open.length,
    delivered: got.length,
    allDelivered: all && got.length === open.length,
    beforeAck: got.filter((w) => w.at < acked).length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    patchMs: acked - sent,
    allMs: done - acked,
    serverCpuMs: cpu,
    generatorCpuMs: (generator.user + generator.system) / 1000,
    generatorLoopDelayMaxMs: loop.max / 1e6,
    window
  }
}

/**
 * The fan-out on `target`'s database, in this process: one replica, the sizes in increasing
 * order on the same watchers (1,000, then 9,000 more for 10,000), `writes` writes at each.
 * @param {import('./lib/service.mjs').ServiceTarget} target
 */
export async function measureFanout (target, settings = fanoutSettings()) {
  const { hard } = openFileLimits()
  const sizes = settings.sizes.filter((n) => descriptorsFor(n) <= Math.max(openFileLimits().soft, 0))
  const skipped = settings.sizes.filter((n) => !sizes.includes(n))
  if (skipped.length) log(`skipped ${skipped.join(', ')} watchers: this process may open ${openFileLimits().soft} files (hard limit ${hard})`)

  const profileDir = process.env.BENCH_FANOUT_CPU_PROF
  const server = await startService(target, {
    WATCH_MAX: String(settings.watchMax),
    WATCH_HEARTBEAT_MS: String(settings.heartbeatMs)
  }, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])
  const pool = watcherPool(server.url)
  try {
    await patch(server, SETUP_PATCH)
    let value = 1000
    // Warm-up: the watch route, the write and the fan-out path compiled, then the watchers gone.
    const warm = watcherPool(server.url)
    await warm.add(100)
    for (let i = 0; i < 5; i++) await oneWrite(server, warm, value++, settings.deadlineMs)
    warm.close()
    for (let i = 0; i < 100 && await serverWatchers(server) > 0; i++) await sleep(50)
    await sleep(settings.settleS * 1000)
    const idle = memory(server.pid)
    log(`idle RSS ${idle.rssMB.toFixed(1)} MB`)

    const results = []
    for (const n of sizes) {
      const started = performance.now()
      await pool.add(n - pool.size)
      const connectS = (performance.now() - started) / 1000
      const counted = await serverWatchers(server)
      await sleep(settings.settleS * 1000)
      const connected = memory(server.pid)
      const writes = []
      for (let i = 0; i < settings.writes; i++) {
        const w = await oneWrite(server, pool, value++, settings.deadlineMs)
        writes.push(w)
        log(`  write ${i + 1}: version ${w.version} reached ${w.delivered} of ${w.watchers} watchers ` +
          `(${w.beforeAck} before the 200) in ${w.allMs.toFixed(0)} ms; p50 ${w.p50.toFixed(1)}, p99 ${w.p99.toFixed(1)}, max ${w.max.toFixed(1)} ms; ` +
          `CPU: service ${w.serverCpuMs.toFixed(0)} ms, load generator ${w.generatorCpuMs.toFixed(0)} ms`)
        await sleep(500)
      }
      await sleep(settings.settleS * 1000)
      const after = memory(server.pid)
      const perWatcherKB = (after.rssMB - idle.rssMB) * 1e3 / n
      const pick = (field) => median(writes.map((w) => w[field]))
      const result = {
        watchers: n,
        serverWatchers: counted,
        connectS,
        p50: pick('p50'),
        p99: pick('p99'),
        max: pick('max'),
        worstMax: Math.max(...writes.map((w) => w.max)),
        allDelivered: writes.every((w) => w.allDelivered),
        patchMs: pick('patchMs'),
        serverCpuMsPerWrite: pick('serverCpuMs'),
        generatorCpuMsPerWrite: pick('generatorCpuMs'),
        generatorLoopDelayMaxMs: pick('generatorLoopDelayMaxMs'),
        idleRssMB: idle.rssMB,
        connectedRssMB: connected.rssMB,
        rssMB: after.rssMB,
        perWatcherKB,
        connectedPerWatcherKB: (connected.rssMB - idle.rssMB) * 1e3 / n,
        peakRssMB: after.peakMB,
        generatorRssMB: process.memoryUsage().rss / 1e6,
        failures: structuredClone(pool.failures),
        writes
      }
      results.push(result)
      log(`${n} watchers (connected in ${connectS.toFixed(1)} s, the service counts ${counted}): ` +
        `p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms (worst write ${result.worstMax.toFixed(1)} ms)` +
        `${result.allDelivered ? '' : ', NOT ALL DELIVERED'}; PATCH ${result.patchMs.toFixed(1)} ms; service CPU ${result.serverCpuMsPerWrite.toFixed(0)} ms per write; ` +
        `RSS ${after.rssMB.toFixed(1)} MB, ${perWatcherKB.toFixed(1)} KB per watcher` +
        (pool.failures.closed || pool.failures.connect ? `; watchers closed ${pool.failures.closed}, failed to connect ${pool.failures.connect} (${pool.failures.lastError})` : ''))
    }
    return { settings: { ...settings, sizes }, skipped, openFiles: openFileLimits(), sizes: results }
  } finally {
    pool.close()
    await server.stop()
  }
}

/**
 * For run.mjs: the fan-out in a child process of its own (its 10,000 sockets and its file
 * limit apart from the harness), on `target`'s database, with the service stopped meanwhile
 * if the database is embedded.
 * @param {import('./lib/service.mjs').ServiceTarget} target
 */
export async function runFanout (target, env = process.env) {
  const scratch = await mkdtemp(join(tmpdir(), 'llm-config-fanout-'))
  const out = join(scratch, 'fanout.json')
  try {
    const settings = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('BENCH_FANOUT_') || name === 'BENCH_SERVER_JS'))
    await runScript(self, [], {
      cwd: root,
      env: { ...baseEnv, ...settings, BENCH_FANOUT_TARGET: JSON.stringify(target), BENCH_FANOUT_OUT: out },
      timeoutMs: 600_000,
      group: true,
      onStderr: (chunk) => process.stderr.write(chunk)
    })
    return JSON.parse(await readFile(out, 'utf8'))
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Alone, or as run.mjs's child: raise the file limit if needed, measure, write or print. */
async function main () {
  const settings = fanoutSettings()
  const needed = descriptorsFor(Math.max(...settings.sizes))
  const { soft, hard } = openFileLimits()
  if (soft < needed && hard > soft && !process.env.BENCH_FANOUT_RAISED) {
    const limit = Math.min(hard, Math.max(needed, 65_536))
    log(`ulimit -n is ${soft}: starting again with ${limit}`)
    const child = spawn('sh', ['-c', 'ulimit -n "$0" && exec "$@"', String(limit), process.execPath, self],
      { stdio: 'inherit', env: { ...process.env, BENCH_FANOUT_RAISED: '1' } })
    const forward = (signal) => child.kill(signal)
    process.on('SIGINT', forward).on('SIGTERM', forward)
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
    return 'restarted'
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAllChildren()
      process.exit(130)
    })
  }
  process.on('exit', killAllChildren)

  const given = process.env.BENCH_FANOUT_TARGET
  const { target, cleanup } = given ? { target: JSON.parse(given), cleanup: async () => {} } : await standaloneTarget('fanout')
  try {
    const result = await measureFanout(target, settings)
    if (process.env.BENCH_FANOUT_OUT) await writeFile(process.env.BENCH_FANOUT_OUT, JSON.stringify(result))
    else {
      const { fanoutRows, FANOUT_HEAD } = await import('./lib/outputs.mjs')
      const { textTable } = await import('./lib/report.mjs')
      process.stdout.write(`\nfan-out on one replica (${target.kind}), median of ${settings.writes} writes per size\n\n${textTable(FANOUT_HEAD, fanoutRows(result))}\n\n`)
    }
  } finally {
    killAllChildren()
    await cleanup().catch((error) => log(`clean-up failed: ${error.message}`))
  }
}

if (process.argv[1] === self) {
  main().then((how) => { if (how !== 'restarted') process.exit(0) }, (error) => {
    log(`failed: ${error.stack ?? error}`)
    killAllChildren()
    process.exit(1)
  })
}
