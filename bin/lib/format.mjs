// The readable output: aligned tables for people. Scripts use --json, which prints the
// service's answer as it came.

/** Rows of cells as aligned columns (two spaces apart), the header first. */
export function table (header, rows) {
  const all = [header, ...rows].map((row) => row.map(String))
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)))
  return all.map((row) => row.map((cell, column) => column === row.length - 1 ? cell : cell.padEnd(widths[column])).join('  ')).join('\n')
}

/** A setting's value as `set` would take it back: null as null, strings as they are. */
export function show (value) {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return value === '' ? '""' : value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** A configuration as a two-column table: field, value (in the service's order). */
export function configTable (config) {
  return table(['FIELD', 'VALUE'], Object.entries(config).map(([field, value]) => [field, show(value)]))
}

/** ISO time without milliseconds: 2025-01-02T03:04:05Z. */
const time = (iso) => typeof iso === 'string' ? iso.replace(/\.\d+(?=Z$)/, '') : show(iso)

const MAX_LISTED = 6

/** A page of history: version, time, actor, action, changed fields; then how to get the older page. */
export function historyTable (page) {
  const items = page.items ?? []
  if (items.length === 0) return 'No history.'
  const rows = items.map((entry) => {
    const fields = Object.keys(entry.changes ?? {})
    const listed = fields.length > MAX_LISTED ? [...fields.slice(0, MAX_LISTED), `+${fields.length - MAX_LISTED} more`] : fields
    return [entry.version, time(entry.changed_at), entry.actor, entry.action, listed.join(', ') || '-']
  })
  const lines = [table(['VERSION', 'TIME', 'ACTOR', 'ACTION', 'CHANGED'], rows)]
  if (page.next) {
    // next is a URL of the older page: say it as the command that fetches it.
    const query = new URL(page.next, 'http://service.invalid').searchParams
    const options = ['before', 'limit'].filter((name) => query.has(name)).map((name) => `--${name} ${query.get(name)}`)
    lines.push(`Older changes: llm-config history ${options.join(' ')}`)
  }
  return lines.join('\n')
}

const yesNo = (value) => value === true ? 'yes' : value === false ? 'no' : '?'

/** The verify report: a verdict, the probed targets, then each configured model. */
export function verifyReport (report) {
  const lines = [report.ok ? 'OK: every provider answered and lists every configured model.' : 'PROBLEMS: see the error and available columns below.', '']
  lines.push(table(['ROLE', 'PROVIDER', 'URL', 'REACHABLE', 'STATUS', 'LATENCY', 'AUTH', 'ERROR'], (report.targets ?? []).map((t) => [
    t.role, t.provider, t.url ?? '-', yesNo(t.reachable), t.status ?? '-', t.latency_ms === null || t.latency_ms === undefined ? '-' : `${t.latency_ms} ms`,
    yesNo(t.auth_accepted), t.error ? `${t.error}${t.detail ? `: ${t.detail}` : ''}` : '-'
  ])))
  if ((report.models ?? []).length > 0) {
    lines.push('')
    lines.push(table(['SETTING', 'MODEL', 'TARGET', 'PROVIDER', 'AVAILABLE'], report.models.map((m) => [
      m.setting, m.model, m.target, m.provider, m.available === null ? 'unknown' : yesNo(m.available)
    ])))
  }
  return lines.join('\n')
}

/** Fields that differ between two configurations, as "field old → new" (version and timestamps aside). */
export function differences (before, after) {
  const ignored = new Set(['version', 'updated_at', 'created_at'])
  return Object.keys(after)
    .filter((field) => !ignored.has(field) && JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => `${field} ${show(before[field])} → ${show(after[field])}`)
}

/** One line per watched version after the first: its version, time and what changed. */
export function versionLine (config, previous) {
  const changed = previous ? differences(previous, config) : []
  return `version ${config.version} at ${time(config.updated_at)}: ${changed.length > 0 ? changed.join(', ') : 'no setting changed'}`
}
