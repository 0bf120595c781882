// Measurements: autocannon (as a library) against one server for a fixed time, with the
// server's CPU time read from /proc before and after. Latencies are collected from every
// response (autocannon's own histogram rounds to whole milliseconds), so p50/p99 are exact.
//
// A figure and its baselines are measured interleaved, in short slices (A B C A B C …), so a
// burst of other work on the machine falls on all of them rather than on whichever ran then.
import autocannon from 'autocannon'
import { cpuMs, memory } from './processes.mjs'

/**
 * @typedef {object} Measurement
 * @property {number} rps          expected responses per second
 * @property {number} p50          ms
 * @property {number} p99          ms
 * @property {number} cpuPer1k     ms of server CPU per 1,000 expected responses
 * @property {number} clientCpuPer1k  ms of the load generator's CPU per 1,000 expected responses
 * @property {number} clientCores  the load generator's CPU time ÷ wall time
 * @property {number} requests     expected responses
 * @property {number} unexpected   responses with another status, errors and timeouts
 * @property {Record<string, number>} statuses
 * @property {number} rssMB        the server's RSS right after the load
 */

/**
 * @typedef {{ server: { name?: string, url: string, pid: number, output?: () => string }, path?: string, method?: string,
 *   headers?: Record<string, string>, body?: string, connections: number, expect: number }} Load
 */

function tally () {
  return { latencies: [], statuses: {}, expected: 0, errors: 0, seconds: 0, cpu: 0, clientCpu: 0 }
}

/** The server's CPU time; a server that has exited is an error that shows its last output. */
function serverCpu (server) {
  try {
    return cpuMs(server.pid)
  } catch {
    throw new Error(`${server.name ?? server.url} exited during the load. Its last output:\n${server.output?.() ?? ''}`)
  }
}

/** One slice of load, added to `into`. */
async function slice ({ server, path = '/llm-config', method = 'GET', headers = {}, body, connections, expect }, seconds, into) {
  const cpuBefore = serverCpu(server)
  const clientBefore = process.cpuUsage()
  const started = performance.now()
  const instance = autocannon({ url: server.url + path, method, headers, body, connections, pipelining: 1, duration: seconds, timeout: 10 })
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    into.statuses[statusCode] = (into.statuses[statusCode] ?? 0) + 1
    if (statusCode !== expect) return
    into.expected++
    into.latencies.push(ms)
  })
  const result = await instance
  into.seconds += (performance.now() - started) / 1000
  into.cpu += serverCpu(server) - cpuBefore
  const client = process.cpuUsage(clientBefore)
  into.clientCpu += (client.user + client.system) / 1000
  into.errors += result.errors // timeouts included
}

/** @returns {Measurement} */
function summary (load, t) {
  t.latencies.sort((a, b) => a - b)
  const quantile = (q) => t.latencies[Math.min(t.latencies.length - 1, Math.max(0, Math.ceil(q * t.latencies.length) - 1))] ?? NaN
  const total = Object.values(t.statuses).reduce((a, b) => a + b, 0)
  return {
    rps: t.expected / t.seconds,
    p50: quantile(0.5),
    p99: quantile(0.99),
    cpuPer1k: t.expected > 0 ? t.cpu / t.expected * 1000 : NaN,
    // The load generator (autocannon, in this process) shares the machine: near one core, it is the limit.
    clientCpuPer1k: t.expected > 0 ? t.clientCpu / t.expected * 1000 : NaN,
    clientCores: t.clientCpu / 1000 / t.seconds,
    requests: t.expected,
    unexpected: total - t.expected + t.errors,
    statuses: t.statuses,
    rssMB: memory(load.server.pid).rssMB
  }
}

/** @param {Load & { seconds: number }} load */
export async function measure (load) {
  const t = tally()
  await slice(load, load.seconds, t)
  return summary(load, t)
}

/**
 * Each load for `seconds` in all, in `slices` turns taken in order.
 * @param {Load[]} loads
 * @returns {Promise<Measurement[]>}
 */
export async function measureInterleaved (loads, { seconds, slices }) {
  const tallies = loads.map(() => tally())
  for (let i = 0; i < slices; i++) {
    for (const [k, load] of loads.entries()) await slice(load, seconds / slices, tallies[k])
  }
  return loads.map((load, k) => summary(load, tallies[k]))
}
