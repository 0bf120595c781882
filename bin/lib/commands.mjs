// The commands: each checks its arguments, makes its requests and prints the answer (the
// service's JSON as it came with --json, else a table or a line for people).
import { CliError, EXIT } from './errors.mjs'
import { parseAssignments } from './fields.mjs'
import { configTable, differences, historyTable, show, verifyReport } from './format.mjs'
import { watchVersions } from './watch.mjs'

/** A positive integer argument, or a usage error naming it. */
function positiveInteger (name, text) {
  if (!/^[1-9]\d{0,15}$/.test(text ?? '') || !Number.isSafeInteger(Number(text))) {
    throw new CliError(`${name} must be a positive integer`, EXIT.usage)
  }
  return Number(text)
}

/** --if-match as an ETag: 17 → "17"; "17", W/"17" and * as given. */
function etagOf (text) {
  if (/^\d+$/.test(text)) return `"${text}"`
  if (text === '*' || /^(W\/)?"[^"]*"$/.test(text)) return text
  throw new CliError('--if-match must be an ETag ("17"), a version (17) or *', EXIT.usage)
}

function noArguments (command, args) {
  if (args.length > 0) throw new CliError(`${command} takes no arguments (got ${JSON.stringify(args[0])})`, EXIT.usage)
}

/** The current configuration and its ETag, read from the database (a replica's copy may lag). */
async function current (client) {
  const { body, etag } = await client.request('GET', '/llm-config?consistent=true')
  if (!etag) throw new CliError(`${client.base}/llm-config answered without an ETag: is --url the llm-config service?`, EXIT.unavailable)
  return { config: body, etag }
}

export const commands = {
  async get ({ client, args, json, out }) {
    noArguments('get', args)
    const { body, text } = await client.request('GET', '/llm-config')
    out(json ? text : configTable(body))
  },

  async set ({ client, args, options, json, out }) {
    if (args.length === 0) throw new CliError('set needs at least one key=value', EXIT.usage)
    const patch = parseAssignments(args) // every argument checked before any request
    const ifMatch = options['if-match'] === undefined ? (await current(client)).etag : etagOf(options['if-match'])
    const { body, text } = await client.request('PATCH', '/llm-config', {
      body: patch,
      headers: { 'if-match': ifMatch, 'content-type': 'application/merge-patch+json' }
    })
    if (json) return out(text)
    // What is stored now for each given field (the key only as whether one is set).
    const stored = Object.keys(patch).map((field) => field === 'api_key'
      ? `api_key ${body.api_key_set ? `set (${body.api_key_hint ?? '…'})` : 'cleared'}`
      : `${field}=${show(body[field])}`)
    out(`Saved version ${body.version}: ${stored.join(', ')}`)
  },

  async history ({ client, args, options, json, out }) {
    noArguments('history', args)
    const query = new URLSearchParams()
    if (options.limit !== undefined) query.set('limit', String(positiveInteger('--limit', options.limit)))
    if (options.before !== undefined) query.set('before', String(positiveInteger('--before', options.before)))
    const { body, text } = await client.request('GET', `/llm-config/history${query.size > 0 ? `?${query}` : ''}`)
    out(json ? text : historyTable(body))
  },

  async restore ({ client, args, options, json, out }) {
    if (args.length !== 1) throw new CliError('restore needs one version, as in: llm-config restore 12', EXIT.usage)
    const version = positiveInteger('the version', args[0])
    const before = options['if-match'] === undefined ? await current(client) : { config: undefined, etag: etagOf(options['if-match']) }
    const { body, text } = await client.request('POST', '/llm-config/restore', { body: { version }, headers: { 'if-match': before.etag } })
    if (json) return out(text)
    const changed = before.config ? differences(before.config, body) : []
    out(`Restored version ${version} as version ${body.version}${changed.length > 0 ? `: ${changed.join(', ')}` : ''}`)
  },

  async watch ({ client, args, json, out, err, signal }) {
    noArguments('watch', args)
    await watchVersions(client, { json, out, err, signal })
  },

  async verify ({ client, args, json, out }) {
    const settings = parseAssignments(args)
    const { body, text } = await client.request('POST', '/llm-config/verify', args.length > 0 ? { body: settings } : {})
    out(json ? text : verifyReport(body))
    if (body.ok !== true) return EXIT.verifyFailed
  }
}

/** Options that only some commands take. */
export const COMMAND_OPTIONS = { set: ['if-match'], restore: ['if-match'], history: ['limit', 'before'] }
