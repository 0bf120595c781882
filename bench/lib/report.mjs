// Turning rounds into figures: medians, ratios to the baseline of the same round, targets,
// and the three outputs (a table on stdout, results/latest.json, docs/benchmarks.md).
import { readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'

export const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const range = (values) => {
  const finite = values.filter((v) => Number.isFinite(v))
  return finite.length ? [Math.min(...finite), Math.max(...finite)] : [NaN, NaN]
}

export function machine () {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    // Inside a VM os.cpus() may only say the family; /proc/cpuinfo says no more, but try.
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model
  } catch {}
  return {
    cpu: model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    kernel: release(),
    node: process.version
  }
}

/**
 * Per-round ratios of one figure to another (the same round's baseline), and their median.
 * @param {Record<string, import('./load.mjs').Measurement[]>} rounds
 */
export function ratio (rounds, subject, baseline, field = 'rps') {
  const values = (rounds[subject] ?? []).map((m, i) => m[field] / (rounds[baseline]?.[i]?.[field] ?? NaN))
  return { median: median(values), range: range(values), rounds: values }
}

/** Summary of one figure over the rounds. */
export function summarize (measurements) {
  const pick = (field) => median(measurements.map((m) => m[field]))
  return {
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    cpuPer1k: pick('cpuPer1k'),
    clientCpuPer1k: pick('clientCpuPer1k'),
    clientCores: pick('clientCores'),
    requests: measurements.reduce((sum, m) => sum + m.requests, 0),
    unexpected: measurements.reduce((sum, m) => sum + m.unexpected, 0),
    rounds: measurements.map(({ rps, p50, p99, cpuPer1k, clientCpuPer1k, clientCores, requests, unexpected, statuses }) =>
      ({ rps, p50, p99, cpuPer1k, clientCpuPer1k, clientCores, requests, unexpected, statuses }))
  }
}

const num = (value, digits = 0) => Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a'
const times = (value) => Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'

/** Rows of the figures table: [label, req/s, p50, p99, server CPU ms per 1,000, load generator CPU ms per 1,000 (cores)]. */
export function figureRows (figures, labels) {
  return labels.filter(([key]) => figures[key]).map(([key, label]) => {
    const f = figures[key]
    const flag = f.unexpected > 0 ? ` (${f.unexpected} unexpected answers)` : ''
    return [label + flag, num(f.rps), num(f.p50, 2), num(f.p99, 2), num(f.cpuPer1k, 1), `${num(f.clientCpuPer1k, 1)} (${num(f.clientCores, 2)})`]
  })
}

export function targetRows (targets) {
  return targets.map((t) => [
    t.name,
    t.unit === 'ratio' ? `${times(t.value)} (rounds ${times(t.range[0])}–${times(t.range[1])})` : `${num(t.value, t.unit === 'ms' ? 0 : 1)} ${t.unit}`,
    t.target,
    t.met === undefined ? 'n/a' : t.met ? 'met' : 'MISSED'
  ])
}

export function textTable (head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => cells.map((c, i) => i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])).join('  ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function markdownTable (head, rows) {
  const escape = (c) => String(c).replaceAll('|', '\\|')
  return [
    `| ${head.map(escape).join(' | ')} |`,
    `|${head.map((_, i) => i === 0 ? '---' : '---:').join('|')}|`,
    ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)
  ].join('\n')
}

export { num, times }
