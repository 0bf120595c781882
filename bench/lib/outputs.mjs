// The verdicts (issue #5's targets, each from ratios of the same round) and the three outputs:
// the table on stdout, bench/results/latest.json, and the generated part of docs/benchmarks.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { figureRows, markdownTable, median, num, ratio, targetRows, textTable } from './report.mjs'

const LABELS = [
  ['get.service', 'GET /llm-config, the service'],
  ['get.service.304', 'GET /llm-config, the service, If-None-Match → 304'],
  ['get.ceiling', 'ceiling: bare Fastify, same object from memory'],
  ['get.naive-fastify', 'naive peer: Fastify + driver, SELECT per GET'],
  ['get.naive-express', 'naive peer: Express + pg, SELECT per GET'],
  ['patch.service', 'PATCH /llm-config, the service'],
  ['patch.service.if-match', 'PATCH /llm-config, the service, If-Match'],
  ['patch.bare', 'baseline: bare UPDATE … RETURNING'],
  ['empty.get.service', 'growth pair: GET, the service, 1 history row'],
  ['empty.get.ceiling', 'growth pair: GET, ceiling, 1 history row'],
  ['grown.get.service', 'growth pair: GET, the service, large history'],
  ['grown.get.ceiling', 'growth pair: GET, ceiling, large history'],
  ['empty.patch.service', 'growth pair: PATCH, the service, 1 history row'],
  ['empty.patch.bare', 'growth pair: PATCH, bare UPDATE, 1 history row'],
  ['grown.patch.service', 'growth pair: PATCH, the service, large history'],
  ['grown.patch.bare', 'growth pair: PATCH, bare UPDATE, large history']
]

/** Per round: (subject / baseline) with a grown history over the same with an empty one. */
function growth (rounds, subject, baseline) {
  const empty = ratio(rounds, `empty.${subject}`, `empty.${baseline}`).rounds
  const grown = ratio(rounds, `grown.${subject}`, `grown.${baseline}`).rounds
  const values = grown.map((g, i) => g / empty[i])
  return { median: median(values), range: [Math.min(...values), Math.max(...values)], rounds: values }
}

export const FANOUT_HEAD = ['watchers on one replica', 'p50 ms', 'p99 ms', 'max ms (worst write)', 'all updated', 'PATCH ms',
  'CPU ms per write: service, load generator', 'RSS idle → with watchers, MB', 'RSS KB per watcher']

/** Rows of the fan-out table, one per size: latencies from the write's 200, the median write's. */
export function fanoutRows (fanout) {
  return (fanout?.sizes ?? []).map((s) => [
    num(s.watchers),
    num(s.p50, 1),
    num(s.p99, 1),
    `${num(s.max, 1)} (${num(s.worstMax, 1)})`,
    s.allDelivered ? `yes, ${s.writes.length} of ${s.writes.length} writes` : `NO: ${s.writes.filter((w) => w.allDelivered).length} of ${s.writes.length} writes`,
    num(s.patchMs, 1),
    `${num(s.serverCpuMsPerWrite)}, ${num(s.generatorCpuMsPerWrite)}`,
    `${num(s.idleRssMB, 1)} → ${num(s.rssMB, 1)}`,
    num(s.perWatcherKB, 1)
  ])
}

/** The issue's fan-out targets: every watcher of the largest size updated with p99 ≤ 300 ms, ≤ 20 KB RSS per watcher at every size. */
function fanoutTargets (fanout) {
  if (!fanout?.sizes?.length) return []
  const targets = []
  const largest = fanout.sizes.at(-1)
  targets.push({
    name: `fan-out: ${num(largest.watchers)} watchers, p99 from the write's 200 to each watcher's event (all updated)`,
    unit: 'ms',
    value: largest.p99,
    target: '≤ 300 ms',
    met: largest.allDelivered && largest.p99 <= 300
  })
  for (const s of fanout.sizes) {
    targets.push({ name: `fan-out: RSS per watcher with ${num(s.watchers)} watchers`, unit: 'KB', value: s.perWatcherKB, target: '≤ 20 KB', met: s.perWatcherKB <= 20 })
  }
  return targets
}

/** The console's target (issue #13: usable within 1 s of opening it on loopback), and its ratio to a bare page. */
function consoleTargets (result) {
  if (!result || result.error) return []
  return [
    { name: `admin console: usable after opening it (sign-in form, median of ${result.opens} fresh opens in Chromium)`, unit: 'ms', value: result.usableMs, target: '≤ 1,000 ms', met: result.usableMs <= 1000 },
    { name: 'admin console: usable ÷ a bare page of the same form (median of the per-open ratios)', unit: 'ratio', value: result.ratio, range: result.ratioRange, target: '(information)', met: undefined },
    { name: 'admin console: Sign in to the settings shown', unit: 'ms', value: result.signInMs, target: '(information)', met: undefined }
  ]
}

export function verdicts (rounds, resources, primary, fanout, consoleResult) {
  const targets = []
  const atLeast = (name, r, bound, target = `≥ ${bound}×`) => targets.push({ name, unit: 'ratio', value: r.median, range: r.range, rounds: r.rounds, target, met: r.median >= bound })
  const atMost = (name, r, bound) => targets.push({ name, unit: 'ratio', value: r.median, range: r.range, rounds: r.rounds, target: `≤ ${bound}×`, met: r.median <= bound })
  atLeast('GET req/s ÷ bare Fastify ceiling', ratio(rounds, 'get.service', 'get.ceiling'), 0.8)
  atLeast('GET req/s ÷ naive Fastify SELECT peer', ratio(rounds, 'get.service', 'get.naive-fastify'), 3)
  if (rounds['get.naive-express']) atLeast('GET req/s ÷ naive Express + pg peer', ratio(rounds, 'get.service', 'get.naive-express'), 3)
  atMost('GET p99 ÷ ceiling p99', ratio(rounds, 'get.service', 'get.ceiling', 'p99'), 2)
  atLeast('PATCH req/s ÷ bare UPDATE', ratio(rounds, 'patch.service', 'patch.bare'), 0.5)
  atLeast('PATCH with If-Match req/s ÷ bare UPDATE', ratio(rounds, 'patch.service.if-match', 'patch.bare'), 0.5)
  atLeast('GET with large history ÷ empty history (each ÷ ceiling)', growth(rounds, 'get.service', 'get.ceiling'), 0.9, '≥ 0.9× (within 10 %)')
  atLeast('PATCH with large history ÷ empty history (each ÷ bare)', growth(rounds, 'patch.service', 'patch.bare'), 0.9, '≥ 0.9× (within 10 %)')
  const pg = resources.postgres
  // Idle: the process after it has served and then had nothing to do (its start-up garbage
  // given back). The figure right after start is in the resources table, and as information here.
  targets.push({ name: `idle RSS on PostgreSQL (${pg?.settledIdleS ?? '?'} s without requests)`, unit: 'MB', value: pg?.settledRssMB ?? NaN, target: '≤ 120 MB', met: pg ? pg.settledRssMB <= 120 : undefined })
  targets.push({ name: 'RSS on PostgreSQL 2 s after the first GET', unit: 'MB', value: pg?.idleRssMB ?? NaN, target: '(information)', met: undefined })
  targets.push({ name: 'cold start to first GET on PostgreSQL', unit: 'ms', value: pg?.coldStartMs ?? NaN, target: '≤ 1,000 ms', met: pg ? pg.coldStartMs <= 1000 : undefined })
  targets.push(...fanoutTargets(fanout))
  targets.push(...consoleTargets(consoleResult))
  // For information: no target, but the same ratios the reading refers to.
  const info = (name, r) => targets.push({ name, unit: 'ratio', value: r.median, range: r.range, rounds: r.rounds, target: '(information)', met: undefined })
  info('GET If-None-Match (304) req/s ÷ ceiling', ratio(rounds, 'get.service.304', 'get.ceiling'))
  info('GET CPU per request ÷ ceiling', ratio(rounds, 'get.service', 'get.ceiling', 'cpuPer1k'))
  // The machine's headroom: what even a server with no work per request gets over the naive peer here.
  info('ceiling req/s ÷ naive Fastify SELECT peer', ratio(rounds, 'get.ceiling', 'get.naive-fastify'))
  info('PATCH CPU per request ÷ bare UPDATE', ratio(rounds, 'patch.service', 'patch.bare', 'cpuPer1k'))
  return targets
}

function resourceRows (resources) {
  const pg = resources.postgres
  const em = resources.embedded
  const cell = (mode, field, digits = 0) => mode && Number.isFinite(mode[field]) ? num(mode[field], digits) : 'n/a'
  const coldList = (mode) => mode ? mode.coldStarts.map((ms) => num(ms)).join(', ') : 'n/a'
  return [
    ['RSS 2 s after the first GET, MB (median of the cold starts)', cell(pg, 'idleRssMB', 1), cell(em, 'idleRssMB', 1)],
    [`idle RSS, MB (the last cold start, ${pg?.settledIdleS ?? em?.settledIdleS ?? '?'} s after its first GET, no requests)`, cell(pg, 'settledRssMB', 1), cell(em, 'settledRssMB', 1)],
    ['RSS at the end of the load, MB', cell(pg, 'endRssMB', 1), cell(em, 'endRssMB', 1)],
    ['peak RSS (VmHWM), MB', cell(pg, 'peakRssMB', 1), cell(em, 'peakRssMB', 1)],
    ['cold start to first 200 on GET /llm-config, ms (median)', cell(pg, 'coldStartMs'), cell(em, 'coldStartMs')],
    ['cold starts, ms', coldList(pg), coldList(em)],
    ['CPU time of the process until its first 200, ms (median)', cell(pg, 'coldStartCpuMs'), cell(em, 'coldStartCpuMs')],
    ['first start of a new embedded database (initdb + migrations), ms', '', cell(em, 'firstStartMs')],
    ['PGlite alone on the same data directory and settings (no service), RSS 2 s after its first query, MB', '', em?.pglite ? num(em.pglite.idleRssMB, 1) : 'n/a'],
    ['an empty Node.js process, RSS, MB', '', em?.pglite ? num(em.pglite.emptyNodeRssMB, 1) : 'n/a'],
    ...(em?.get ? [['embedded: GET req/s, PATCH req/s (one round)', '', `${num(em.get.rps)}, ${num(em.patch.rps)}`]] : [])
  ]
}

/** The fan-out's lines: what ran, its table, or why it is missing. */
function fanoutText (results, table, markdown = false) {
  const { fanout } = results
  if (!fanout) return []
  if (fanout.error) return [`Fan-out not measured: ${fanout.error}`, '']
  const { settings } = fanout
  const code = (text) => markdown ? `\`${text}\`` : text
  return [
    `Fan-out: ${settings.sizes.map((n) => num(n)).join(' then ')} SSE watchers of ${code('GET /llm-config/watch')} on one replica ` +
      `(${code(`WATCH_MAX=${settings.watchMax}`)}, heartbeat every ${settings.heartbeatMs / 1000} s), held by one load-generator process on the same machine; ` +
      `${settings.writes} writes (${code('PATCH')}) per size, one at a time. Times are from the write's 200 to the moment the load generator read each ` +
      `watcher's event, the median write's p50, p99 and max. RSS per watcher is (RSS with the watchers, ${settings.settleS} s after the writes − RSS before the first watcher) ÷ watchers.` +
      (fanout.skipped?.length ? ` Not measured (file limit ${fanout.openFiles?.soft}): ${fanout.skipped.map((n) => num(n)).join(', ')} watchers.` : ''),
    '',
    table(FANOUT_HEAD, fanoutRows(fanout)),
    ''
  ]
}

/** The console's line: what was measured, or why not. */
function consoleText (results) {
  const result = results.console
  if (!result) return []
  if (result.error) return [`Admin console not measured: ${result.error}`, '']
  return [`Admin console (/admin) in Debian's Chromium, ${result.opens} opens each in a fresh browser context, taken in turns with a bare page of the same form ` +
    `served by a bare Node.js server: usable (the token input there to type into) ${num(result.usableMs)} ms after navigation started ` +
    `(opens ${num(result.usableRangeMs[0])}–${num(result.usableRangeMs[1])} ms), the bare page ${num(result.bareUsableMs)} ms; Sign in to the settings shown ${num(result.signInMs)} ms.`, '']
}

const loadText = (load) => `${load.start.toFixed(2)} at start, ${load.end.toFixed(2)} at end`

const FIGURE_HEAD = ['figure', 'req/s', 'p50 ms', 'p99 ms', 'server CPU ms / 1,000 req', 'load generator CPU ms / 1,000 req (cores)']
const TARGET_HEAD = ['target', 'measured (median of rounds)', 'target', 'verdict']
const RESOURCE_HEAD = ['resource', 'PostgreSQL', 'embedded (PGlite)']

export async function writeOutputs (root, results, updateDocs) {
  const { settings, figures, targets, resources } = results
  const rows = figureRows(figures, LABELS)
  const text = [
    '',
    `llm-config-service benchmark — ${results.date}, ${results.machine.cpu} (${results.machine.cores} cores), Node ${results.machine.node}, ` +
      `${results.database === 'postgres' ? `PostgreSQL ${results.machine.postgres}` : `embedded PostgreSQL ${results.machine.pglite}`}`,
    `medians of ${settings.rounds} rounds × ${settings.seconds} s per figure (in ${settings.slices} turns, interleaved with its baselines); ` +
      `GET ${settings.getConnections} connections, PATCH ${settings.writeConnections}; ` +
      `large history = ${num(settings.historyRows)} rows; load average ${loadText(results.machine.loadAverage)}`,
    ...(results.notes.notModified ? [`If-None-Match not measured: ${results.notes.notModified}.`] : []),
    ...(results.notes.embedded ? [`Embedded database not measured: ${results.notes.embedded}.`] : []),
    '',
    textTable(FIGURE_HEAD, rows),
    '',
    textTable(TARGET_HEAD, targetRows(targets)),
    '',
    textTable(RESOURCE_HEAD, resourceRows(resources)),
    '',
    ...fanoutText(results, textTable),
    ...consoleText(results)
  ].join('\n')
  process.stdout.write(text + '\n')

  await mkdir(join(root, 'bench', 'results'), { recursive: true })
  await writeFile(join(root, 'bench', 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n')
  if (updateDocs) await updateBenchmarksDoc(root, results, rows, resources)
}

const BEGIN = '<!-- bench:begin (generated by npm run bench: edits between these markers are overwritten) -->'
const END = '<!-- bench:end -->'

async function updateBenchmarksDoc (root, results, rows, resources) {
  const { machine, settings } = results
  const generated = [
    BEGIN,
    '',
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC, ${results.durationS} s: \`${results.command}\`.`,
    '',
    markdownTable(['machine', ''], [
      ['CPU', `${machine.cpu}, ${machine.cores} cores`],
      ['memory', `${machine.memoryGiB} GiB`],
      ['kernel', machine.kernel],
      ['Node.js', machine.node],
      ['PostgreSQL', machine.postgres ?? 'not used'],
      ['embedded (PGlite)', machine.pglite ? `PostgreSQL ${machine.pglite}` : 'not measured'],
      ['load average (1 min)', loadText(machine.loadAverage)]
    ]),
    '',
    `Each figure is the median of ${settings.rounds} rounds of ${settings.seconds} s, taken in ${settings.slices} turns interleaved with its baselines (GET: ${settings.getConnections} connections, ` +
      `PATCH: ${settings.writeConnections}), with the load generator on the same machine. Large history: ` +
      `${num(settings.historyRows)} rows in llm_config_history.`,
    '',
    markdownTable(FIGURE_HEAD, rows),
    '',
    ...(results.notes.notModified ? [`GET with If-None-Match is not measured: ${results.notes.notModified}.`, ''] : []),
    ...(results.notes.embedded ? [`The embedded database is not measured in this run: ${results.notes.embedded}.`, ''] : []),
    markdownTable(TARGET_HEAD, targetRows(results.targets)),
    '',
    markdownTable(RESOURCE_HEAD, resourceRows(resources)),
    '',
    ...fanoutText(results, markdownTable, true),
    ...consoleText(results),
    END
  ].join('\n')
  const path = join(root, 'docs', 'benchmarks.md')
  let doc
  try {
    doc = await readFile(path, 'utf8')
  } catch {
    doc = `# Benchmarks\n\n${BEGIN}\n${END}\n`
  }
  const begin = doc.indexOf('<!-- bench:begin')
  const end = doc.indexOf(END)
  const next = begin === -1 || end === -1 ? `${doc.trimEnd()}\n\n${generated}\n` : doc.slice(0, begin) + generated + doc.slice(end + END.length)
  await writeFile(path, next)
}
