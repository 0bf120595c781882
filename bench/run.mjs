// npm run bench: the service against its baselines, side by side, in one run on loopback.
// See docs/benchmarks.md for what is measured, the targets and the latest figures.
//
//   BENCH_DATABASE_URL   a PostgreSQL server (any database on it): the bench creates a
//                        database of its own there and drops it at the end. Unset: the
//                        embedded database (PGlite), as `npm start` runs without DATABASE_URL.
//   BENCH_ROUNDS (5), BENCH_SECONDS (3), BENCH_GET_CONNECTIONS (20), BENCH_WRITE_CONNECTIONS (10),
//   BENCH_HISTORY_ROWS (100000), BENCH_COLD_STARTS (5), BENCH_SLICES (3), BENCH_SETTLED_IDLE_S (40), BENCH_DOCS (1: rewrite the generated
//   part of docs/benchmarks.md; 0: leave it)
//   BENCH_FANOUT_SIZES (1000,10000), BENCH_FANOUT_WRITES (5), BENCH_FANOUT_SETTLE_S (3): the fan-out (bench/fanout.mjs)
//   BENCH_CONSOLE_OPENS (7): the admin console's time to usable, in Chromium (bench/console.mjs)
//   BENCH_SERVER_JS      another build of the service to measure (default dist/server.js)
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPostgresDatabase, settle } from './lib/database.mjs'
import { consoleSettings, measureConsole } from './console.mjs'
import { fanoutSettings, runFanout } from './fanout.mjs'
import { measure, measureInterleaved } from './lib/load.mjs'
import { cpuMs, get, killAllChildren, memory, runScript, sleep, startHelper, startServer } from './lib/processes.mjs'
import { adminHeaders, baseEnv, patch, root, SETUP_PATCH, startService } from './lib/service.mjs'
import { machine, median, summarize } from './lib/report.mjs'
import { verdicts, writeOutputs } from './lib/outputs.mjs'
import { resetHistory as resetHistorySql, CREATE_BARE_TABLE } from './lib/sql.mjs'

const int = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`)
  return value
}
const settings = {
  rounds: int('BENCH_ROUNDS', 5),
  seconds: int('BENCH_SECONDS', 3),
  getConnections: int('BENCH_GET_CONNECTIONS', 20),
  writeConnections: int('BENCH_WRITE_CONNECTIONS', 10),
  historyRows: int('BENCH_HISTORY_ROWS', 100_000),
  coldStarts: int('BENCH_COLD_STARTS', 5),
  // Each figure's seconds in a round are spread over this many turns, alternating with its baselines.
  slices: int('BENCH_SLICES', 3),
  // The service reaches its steady state after ~4 s of load (JIT); every server gets the same.
  warmupSeconds: 4,
  idleSettleMs: 2000,
  // Idle for real: V8's memory reducer gives back the young generation start-up grew after
  // some seconds without work (seen at 20–30 s here); the last cold start is read again then.
  settledIdleMs: int('BENCH_SETTLED_IDLE_S', 40) * 1000
}
// Bounded in time whatever happens: a wedged server or database ends the run, children included.
// The fan-out: connecting its watchers (a few thousand a second), its writes and RSS readings.
const fanout = fanoutSettings()
const FANOUT_S = Math.max(...fanout.sizes) / 40 + fanout.sizes.length * (2 * fanout.writes + 3 * fanout.settleS + 10) + 60
// The console: a browser start, then each open (a second or two, sign-in included) twice.
const CONSOLE_S = 60 + consoleSettings().opens * 2 * 5
const LIMIT_MS = (settings.rounds * (settings.seconds * 16 + 60) + settings.coldStarts * 2 * 10 + 400 + FANOUT_S + CONSOLE_S) * 1000

const PATCH_BODY = JSON.stringify({ batch_size: 7 })

function startBaseline (name, script, target, extra = {}) {
  return startServer({
    name,
    script: join(root, 'bench', 'servers', script),
    cwd: root,
    env: { ...baseEnv, ...(target.kind === 'postgres' ? { BENCH_DATABASE_URL: target.url } : { BENCH_DATA_DIR: target.naiveDataDir }), ...extra }
  })
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`)

/** Cold starts (spawn to first 200 on GET /llm-config, migrations already applied) and idle RSS after each. */
async function coldStarts (target) {
  const starts = []
  const cpu = []
  const idle = []
  let settledRssMB = NaN
  for (let i = 0; i < settings.coldStarts; i++) {
    const server = await startService(target)
    starts.push(server.startMs)
    // CPU time until the first 200: unlike the wall time, it hardly moves when the machine is busy.
    cpu.push(cpuMs(server.pid))
    await sleep(settings.idleSettleMs)
    idle.push(memory(server.pid).rssMB)
    if (i === settings.coldStarts - 1) {
      await sleep(settings.settledIdleMs - settings.idleSettleMs)
      settledRssMB = memory(server.pid).rssMB
    }
    await server.stop()
  }
  log(`${target.kind}: cold starts ${starts.map((ms) => ms.toFixed(0)).join(', ')} ms; RSS 2 s after the first GET ${idle.map((m) => m.toFixed(0)).join(', ')} MB, ${settings.settledIdleMs / 1000} s after ${settledRssMB.toFixed(0)} MB`)
  return { coldStartMs: median(starts), coldStarts: starts, coldStartCpuMs: median(cpu), idleRssMB: median(idle), idleRss: idle, settledRssMB, settledIdleS: settings.settledIdleMs / 1000 }
}

/** The service, restartable: an embedded database belongs to one process, so SQL from outside needs it stopped. */
function serviceHandle (target, server) {
  const handle = {
    server,
    async warmup () {
      await measure({ server: handle.server, connections: settings.getConnections, seconds: settings.warmupSeconds, expect: 200 })
      await measure({ server: handle.server, ...patchRequest(), connections: settings.writeConnections, seconds: settings.warmupSeconds, expect: 200 })
    },
    /** Leaves `rows` history rows (the current version's included) and a configuration at a new version. */
    async resetHistory (rows) {
      const statements = resetHistorySql(rows)
      if (target.kind === 'postgres') {
        const before = Number((await get(`${handle.server.url}/llm-config`)).headers.etag?.replaceAll('"', ''))
        await target.exec(statements)
        await settle(target)
        // The NOTIFY reaches the service, which re-reads the row: wait until it serves the new version.
        for (let i = 0; i < 200; i++) {
          const etag = Number((await get(`${handle.server.url}/llm-config`)).headers.etag?.replaceAll('"', ''))
          if (etag >= before + rows) return sleep(1000) // let the database's background work after the bulk insert end
          await sleep(10)
        }
        throw new Error('the service did not pick up the history reset')
      }
      await handle.server.stop()
      await runScript(join(root, 'bench', 'servers', 'pglite.mjs'), ['exec', target.dataDir, JSON.stringify(statements)], { cwd: root })
      handle.server = await startService(target)
      await handle.warmup()
    }
  }
  return handle
}

function patchRequest (ifMatch) {
  return { method: 'PATCH', headers: { ...adminHeaders, ...(ifMatch ? { 'if-match': ifMatch } : {}) }, body: PATCH_BODY }
}

/**
 * A 304 has no content (RFC 9110 §15.4.5). One that still announces a Content-Length makes
 * autocannon's parser wait for that many bytes, and the connection stalls: such a 304 cannot
 * be measured, and the run says why instead of printing zero.
 */
async function notModifiedIsMeasurable (server, etag) {
  const answer = await get(`${server.url}/llm-config`, { 'if-none-match': etag })
  const length = Number(answer.headers['content-length'] ?? 0)
  if (answer.status === 304 && length === 0) return true
  if (!notModifiedProblem) log(`GET with If-None-Match not measured: the service answers ${answer.status} with Content-Length: ${length} and no body`)
  notModifiedProblem = `the service's 304 carries Content-Length: ${length} (and Content-Type) but no body, so a client that trusts Content-Length waits for bytes that never come`
  return false
}
let notModifiedProblem
let embeddedProblem

/** Every figure of the load, for `settings.rounds` rounds; a figure and its baseline always run in the same round. */
async function loadRounds (target, service, baselines) {
  /** @type {Record<string, import('./lib/load.mjs').Measurement[]>} */
  const rounds = {}
  const G = settings.getConnections
  const W = settings.writeConnections
  const barePatch = { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: PATCH_BODY, connections: W, expect: 200 }
  /** One group of figures, interleaved in slices; every other round in the opposite order. */
  const group = async (round, entries) => {
    const ordered = round % 2 ? [...entries].reverse() : entries
    const measured = await measureInterleaved(ordered.map(([, load]) => load), { seconds: settings.seconds, slices: settings.slices })
    for (const [i, [key]] of ordered.entries()) {
      const m = measured[i]
      ;(rounds[key] ??= []).push(m)
      if (m.unexpected > 0) log(`${key}: ${m.unexpected} unexpected answers ${JSON.stringify(m.statuses)}`)
    }
  }
  for (let round = 0; round < settings.rounds; round++) {
    const started = performance.now()
    await service.resetHistory(1)
    const { etag } = (await get(`${service.server.url}/llm-config`)).headers
    const notModified = await notModifiedIsMeasurable(service.server, String(etag))
    await group(round, [
      ['get.service', { server: service.server, connections: G, expect: 200 }],
      ...(notModified ? [['get.service.304', { server: service.server, headers: { 'if-none-match': String(etag) }, connections: G, expect: 304 }]] : []),
      ['get.ceiling', { server: baselines.ceiling, connections: G, expect: 200 }],
      ['get.naive-fastify', { server: baselines.naive, connections: G, expect: 200 }],
      ...(baselines.express ? [['get.naive-express', { server: baselines.express, connections: G, expect: 200 }]] : [])
    ])
    await service.resetHistory(1)
    await group(round, [
      ['patch.service', { server: service.server, ...patchRequest(), connections: W, expect: 200 }],
      ['patch.service.if-match', { server: service.server, ...patchRequest('*'), connections: W, expect: 200 }],
      ['patch.bare', { server: baselines.naive, ...barePatch }]
    ])
    // Growth: the same two pairs, measured the same way, with one history row and then with many.
    for (const [phase, rows] of [['empty', 1], ['grown', settings.historyRows]]) {
      await service.resetHistory(rows)
      await group(round, [
        [`${phase}.get.service`, { server: service.server, connections: G, expect: 200 }],
        [`${phase}.get.ceiling`, { server: baselines.ceiling, connections: G, expect: 200 }]
      ])
      await group(round, [
        [`${phase}.patch.service`, { server: service.server, ...patchRequest(), connections: W, expect: 200 }],
        [`${phase}.patch.bare`, { server: baselines.naive, ...barePatch }]
      ])
    }
    const line = (key) => `${key} ${rounds[key].at(-1).rps.toFixed(0)}/s`
    log(`round ${round + 1}/${settings.rounds} (${((performance.now() - started) / 1000).toFixed(0)} s): ` +
      Object.keys(rounds).map(line).join(', '))
  }
  return rounds
}

/** Resources of the embedded mode: first start (initdb), cold starts, idle RSS, RSS after a GET and a PATCH load, PGlite alone. */
async function embeddedResources (dataDir) {
  const target = { kind: 'embedded', dataDir }
  const first = await startService(target)
  await patch(first, SETUP_PATCH)
  await first.stop()
  const cold = await coldStarts(target)
  const server = await startService(target)
  const getLoad = await measure({ server, connections: settings.getConnections, seconds: settings.seconds, expect: 200 })
  const patchLoad = await measure({ server, ...patchRequest(), connections: settings.writeConnections, seconds: settings.seconds, expect: 200 })
  const peakRssMB = memory(server.pid).peakMB
  await server.stop()
  return {
    firstStartMs: first.startMs,
    ...cold,
    endRssMB: patchLoad.rssMB,
    peakRssMB,
    get: summarize([getLoad]),
    patch: summarize([patchLoad]),
    pglite: await pgliteAlone(dataDir)
  }
}

/** PGlite on its own (no service), on the same data directory: what the embedded database itself costs. */
async function pgliteAlone (dataDir) {
  const helper = await startHelper(join(root, 'bench', 'servers', 'pglite.mjs'), ['idle', dataDir], { cwd: root, env: baseEnv })
  await sleep(settings.idleSettleMs)
  const { rssMB } = memory(helper.pid)
  await helper.stop()
  const node = await startHelper('-e', ['console.log("ready"); setInterval(() => {}, 1 << 30)'], { cwd: root, env: baseEnv })
  await sleep(500)
  const nodeRss = memory(node.pid).rssMB
  await node.stop()
  return { idleRssMB: rssMB, postgresVersion: helper.line.slice('ready '.length), emptyNodeRssMB: nodeRss }
}

async function main () {
  const watchdog = setTimeout(() => {
    log(`stopped after ${LIMIT_MS / 1000} s: the run took too long`)
    killAllChildren()
    process.exit(2)
  }, LIMIT_MS)
  watchdog.unref()
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAllChildren()
      process.exit(130)
    })
  }
  process.on('exit', killAllChildren)

  const startedAt = new Date()
  // Other work on the machine moves absolute figures (not the ratios, measured in the same round): record how busy it was.
  const loadAtStart = loadavg()[0]
  const scratch = await mkdtemp(join(tmpdir(), 'llm-config-bench-'))
  const adminUrl = process.env.BENCH_DATABASE_URL
  const primary = adminUrl
    ? await createPostgresDatabase(adminUrl)
    : { kind: 'embedded', dataDir: join(scratch, 'service'), naiveDataDir: join(scratch, 'naive') }
  log(`primary database: ${primary.kind}${primary.kind === 'postgres' ? ` (PostgreSQL ${primary.version}, database ${new URL(primary.url).pathname.slice(1)})` : ''}`)
  const stopping = []
  try {
    // Set-up: the service migrates, an API key and a few settings are stored, the baselines get the same row.
    let server = await startService(primary)
    await patch(server, SETUP_PATCH)
    const body = (await get(`${server.url}/llm-config`)).body
    if (primary.kind === 'postgres') await primary.exec(CREATE_BARE_TABLE)
    await server.stop()

    log(`cold starts (${primary.kind})`)
    const primaryCold = await coldStarts(primary)

    server = await startService(primary)
    const service = serviceHandle(primary, server)
    const baselines = {
      ceiling: await startBaseline('ceiling', 'ceiling.mjs', primary, { BENCH_BODY: body }),
      naive: await startBaseline('naive Fastify', 'naive-fastify.mjs', primary),
      express: primary.kind === 'postgres' ? await startBaseline('naive Express', 'naive-express.mjs', primary) : undefined
    }
    stopping.push(() => service.server.stop(), ...Object.values(baselines).filter(Boolean).map((b) => () => b.stop()))
    log('warming up')
    await service.warmup()
    for (const baseline of [baselines.ceiling, baselines.naive, baselines.express].filter(Boolean)) {
      await measure({ server: baseline, connections: settings.getConnections, seconds: settings.warmupSeconds, expect: 200 })
    }
    await measure({ server: baselines.naive, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: PATCH_BODY, connections: settings.writeConnections, seconds: settings.warmupSeconds, expect: 200 })

    log(`${settings.rounds} rounds of ${settings.seconds} s per figure`)
    const rounds = await loadRounds(primary, service, baselines)
    const serviceMemory = memory(service.server.pid)
    const baselineMemory = Object.fromEntries(Object.entries(baselines).filter(([, b]) => b).map(([name, b]) => [name, memory(b.pid).rssMB]))
    for (const stop of stopping.splice(0)) await stop()

    // One replica with many watchers, on the same database, the other servers stopped.
    log(`fan-out: ${fanout.sizes.join(', ')} watchers on one replica`)
    const fanoutResult = await runFanout(primary.kind === 'postgres' ? { kind: 'postgres', url: primary.url } : { kind: 'embedded', dataDir: primary.dataDir })
      .catch((error) => {
        log(`fan-out failed: ${error.message}`)
        return { error: error.message.split('\n')[0] }
      })

    log('admin console: time to usable in Chromium')
    const consoleResult = await measureConsole(primary.kind === 'postgres' ? { kind: 'postgres', url: primary.url } : { kind: 'embedded', dataDir: primary.dataDir })
      .catch((error) => {
        log(`console not measured: ${error.message}`)
        return { error: error.message.split('\n')[0] }
      })

    const resources = {
      [primary.kind]: {
        ...primaryCold,
        // Embedded as primary: restarted for each history reset, so "end of load" is since the last restart.
        endRssMB: rounds['grown.patch.service'].at(-1).rssMB,
        peakRssMB: serviceMemory.peakMB
      },
      baselinesEndRssMB: baselineMemory
    }
    if (primary.kind === 'postgres') {
      log('embedded database: first start, cold starts, RSS under load')
      // Its figures are information: a failure (a start slower than Fastify's plugin timeout on a
      // busy machine) leaves them out and says why, rather than losing the whole run.
      resources.embedded = await embeddedResources(join(scratch, 'embedded')).catch((error) => {
        embeddedProblem = error.message.split('\n').filter(Boolean).slice(0, 2).join(': ')
        log(`embedded database not measured: ${embeddedProblem}`)
        return undefined
      })
    } else {
      resources.embedded.pglite = await pgliteAlone(primary.dataDir)
    }
    const pglite = resources.embedded?.pglite

    const figures = Object.fromEntries(Object.entries(rounds).map(([key, ms]) => [key, summarize(ms)]))
    const results = {
      date: startedAt.toISOString(),
      durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      command: (adminUrl ? `BENCH_DATABASE_URL=${redact(adminUrl)} ` : '') + 'npm run bench',
      machine: { ...machine(), postgres: primary.kind === 'postgres' ? primary.version : null, pglite: pglite?.postgresVersion ?? null, loadAverage: { start: loadAtStart, end: loadavg()[0] } },
      notes: { ...(notModifiedProblem ? { notModified: notModifiedProblem } : {}), ...(embeddedProblem ? { embedded: embeddedProblem } : {}) },
      database: primary.kind,
      settings,
      figures,
      targets: verdicts(rounds, resources, primary.kind, fanoutResult, consoleResult),
      resources,
      fanout: fanoutResult,
      console: consoleResult
    }
    await writeOutputs(root, results, process.env.BENCH_DOCS !== '0')
  } finally {
    for (const stop of stopping) await stop().catch(() => {})
    killAllChildren()
    if (primary.kind === 'postgres') await primary.drop().catch((error) => log(`could not drop the bench database: ${error.message}`))
    await rm(scratch, { recursive: true, force: true })
  }
}

function redact (url) {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.href
}

main().then(() => process.exit(0), (error) => {
  log(`failed: ${error.stack ?? error}`)
  killAllChildren()
  process.exit(1)
})
