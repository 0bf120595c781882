// bin/llm-config.mjs, the command-line client, as a user runs it: a child process against the
// real service (dist/server.js, also a child), judged by its stdout, stderr and exit code.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { LlmConfig, LlmConfigInput } from '../src/llm-config/config/schemas.js'
import { closedPort, startFake } from './support/fake-providers.js'
import { assertBuilt, childEnv, startServer, within, type Env } from './support/server-process.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(root, 'bin', 'llm-config.mjs')

const ADMIN = 'cli-test-admin-token-0123456789'
const CONSUMER = 'cli-test-consumer-token-4c1d9e'
const EXIT = { ok: 0, usage: 1, unauthorized: 2, conflict: 3, invalid: 4, unavailable: 5, verifyFailed: 6 }

// The CLI's table of field types, compared below with the schema it mirrors. A variable
// specifier: the .mjs has no type declarations, and the test says what it expects of it.
const fieldsModule: string = new URL('../bin/lib/fields.mjs', import.meta.url).href
const { FIELDS, READ_ONLY } = await import(fieldsModule) as { FIELDS: Record<string, string>, READ_ONLY: string[] }

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** The CLI's environment: ours without tap's hooks and without any LLM_CONFIG_* of the developer's shell. */
function cliEnv (env: Env): NodeJS.ProcessEnv {
  const result = childEnv({})
  for (const name of Object.keys(result)) if (name.startsWith('LLM_CONFIG_')) delete result[name]
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value
  return result
}

interface Running { stdout: () => string, stderr: () => string, kill: (signal: NodeJS.Signals) => void, done: Promise<Run> }

function start (args: string[], env: Env): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const done = new Promise<Run>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return { stdout: () => stdout, stderr: () => stderr, kill: (signal) => child.kill(signal), done }
}

/** Runs the CLI to its end. */
function run (args: string[], env: Env = {}): Promise<Run> {
  return within(30_000, `llm-config ${args.join(' ')}`, start(args, env).done)
}

/** Resolves once `condition` holds (polled); rejects after `ms`. */
async function until (condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** JSON Schema → the CLI table's notation: its type, with |null when nullable. */
function typeOf (schema: Record<string, unknown>): string {
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf as Array<Record<string, unknown>>
    const nonNull = options.filter((option) => option.type !== 'null')
    if (nonNull.length !== 1 || !nonNull[0]) throw new Error(`unexpected union: ${JSON.stringify(schema)}`)
    return `${typeOf(nonNull[0])}${nonNull.length < options.length ? '|null' : ''}`
  }
  if (Array.isArray(schema.enum)) {
    const kinds = new Set(schema.enum.map((value) => typeof value))
    if (kinds.size === 1 && kinds.has('string')) return 'string'
  }
  if (typeof schema.type === 'string') return schema.type
  throw new Error(`no type for ${JSON.stringify(schema)}`)
}

t.test('the CLI\'s table of field types is LlmConfigInput\'s', async (t) => {
  const properties = LlmConfigInput.properties as unknown as Record<string, Record<string, unknown>>
  const names = Object.keys(properties)
  // Read-only as LlmConfig marks them (LlmConfigInput accepts and ignores them, unmarked).
  const served = LlmConfig.properties as unknown as Record<string, Record<string, unknown>>
  const readOnly = names.filter((name) => served[name]?.readOnly === true)
  const writable = names.filter((name) => !readOnly.includes(name))
  t.ok(writable.includes('api_key') && writable.includes('batch_size'), 'the schema was read')
  t.same(FIELDS, Object.fromEntries(writable.map((name) => [name, typeOf(properties[name] ?? {})])), 'every writable field, with its type and nullability')
  t.same([...READ_ONLY].sort(), readOnly.sort(), 'the read-only fields')
})

t.test('--help: the commands, the environment and the exit codes; usage errors exit 1', async (t) => {
  const help = await run(['--help'])
  t.equal(help.code, EXIT.ok)
  for (const text of ['get', 'set key=value', 'history', 'restore <version>', 'watch', 'verify', 'LLM_CONFIG_URL', 'LLM_CONFIG_TOKEN', '--json', 'Exit codes']) {
    t.match(help.stdout, text, `mentions ${text}`)
  }
  for (const code of ['0  ok', '1  usage', '2  not authorized', '3  conflict (412)', '4  invalid', '5  unreachable']) t.match(help.stdout, code)

  const set = await run(['set', '--help'])
  t.equal(set.code, EXIT.ok)
  for (const field of Object.keys(FIELDS)) t.match(set.stdout, new RegExp(`^  ${field} `, 'm'), `set --help lists ${field}`)
  t.same(await run(['help', 'set']), set, '"help set" is "set --help"')
  t.match((await run(['history', '--help'])).stdout, /--limit N[\s\S]*--before V/)

  const none = await run([])
  t.equal(none.code, EXIT.usage, 'no command: exit 1')
  t.match(none.stderr, /^Usage: llm-config/)
  const unknown = await run(['frobnicate'])
  t.equal(unknown.code, EXIT.usage)
  t.match(unknown.stderr, /unknown command "frobnicate"/)
  const option = await run(['get', '--limit', '3'])
  t.equal(option.code, EXIT.usage)
  t.match(option.stderr, /--limit is an option of history/)
  t.equal((await run(['get', '--bogus'])).code, EXIT.usage)
})

t.test('against the service', async (t) => {
  await assertBuilt()
  const server = await startServer(t, {
    DATABASE_URL: 'memory://',
    ADMIN_TOKEN: ADMIN,
    CONSUMER_TOKENS: `worker:${CONSUMER}`,
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    WRITE_RATE_LIMIT: '100000',
    AUTH_FAILURE_LIMIT: '100000',
    VERIFY_RATE_LIMIT: '100000'
  })
  const admin = { LLM_CONFIG_URL: server.url, LLM_CONFIG_TOKEN: ADMIN }
  const anonymous = { LLM_CONFIG_URL: server.url }
  const unreachable = `http://127.0.0.1:${await closedPort()}`

  const read = async () => {
    const res = await fetch(`${server.url}/llm-config?consistent=true`)
    return { etag: res.headers.get('etag') ?? '', body: await res.json() as Record<string, unknown> }
  }
  const patch = async (body: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/llm-config`, {
      method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    if (res.status !== 200) throw new Error(`PATCH ${JSON.stringify(body)}: ${res.status} ${await res.text()}`)
    return await res.json() as Record<string, unknown>
  }

  t.test('get: a table of field and value, or the JSON as served', async (t) => {
    const table = await run(['get'], anonymous)
    t.equal(table.code, EXIT.ok)
    t.equal(table.stderr, '')
    t.match(table.stdout, /^FIELD\s+VALUE\n/)
    t.match(table.stdout, /^batch_size +5$/m)
    t.match(table.stdout, /^model_responder +null$/m)
    t.match(table.stdout, /^enabled +false$/m)

    const json = await run(['get', '--json'], anonymous)
    t.equal(json.code, EXIT.ok)
    t.same(JSON.parse(json.stdout), (await read()).body, 'the service\'s answer')
  })

  t.test('set: values parsed by their field\'s type, then get shows them', async (t) => {
    const set = await run(['set', 'batch_size=7', 'enabled=true', 'model_responder=null', 'api_url=http://x:1', 'min_confidence_tagging=0.5', 'model_tagger=null'], admin)
    t.equal(set.code, EXIT.ok, set.stderr)
    t.match(set.stdout, /^Saved version \d+: batch_size=7, enabled=true, model_responder=null, api_url=http:\/\/x:1/)
    const { body } = await read()
    t.match(body, { batch_size: 7, enabled: true, model_responder: null, api_url: 'http://x:1', min_confidence_tagging: 0.5 })
    t.equal(body.model_tagger, 'null', 'null is a string for a field that is not nullable')

    const get = await run(['get'], anonymous)
    t.match(get.stdout, /^batch_size +7$/m)
    t.match(get.stdout, /^enabled +true$/m)
    t.match(get.stdout, /^api_url +http:\/\/x:1$/m)
    await patch({ model_tagger: 'phi3' })

    const key = await run(['set', 'api_key=sk-cli-test-secret-value'], admin)
    t.equal(key.code, EXIT.ok)
    t.match(key.stdout, /api_key set \(…alue\)/)
    t.notMatch(key.stdout + key.stderr, 'sk-cli-test-secret-value', 'the key is not printed')
    t.match(await run(['set', 'api_key=null'], admin), { code: EXIT.ok, stdout: /api_key cleared/ })
  })

  t.test('set: an unknown or read-only key, or no key=value, is a usage error before any request', async (t) => {
    const before = await read()
    // An unreachable URL: exit 1 rather than 5 shows that nothing was sent.
    const unknown = await run(['set', 'batch_size=8', 'batchsize=9'], { ...admin, LLM_CONFIG_URL: unreachable })
    t.equal(unknown.code, EXIT.usage)
    t.match(unknown.stderr, /^llm-config: unknown field "batchsize" \(did you mean batch_size\?\)/)
    t.equal(unknown.stdout, '')
    t.match(await run(['set', 'version=3'], admin), { code: EXIT.usage, stderr: /version is read-only/ })
    t.match(await run(['set', 'batch_size'], admin), { code: EXIT.usage, stderr: /expected key=value/ })
    t.match(await run(['set'], admin), { code: EXIT.usage, stderr: /at least one key=value/ })
    t.same(await read(), before, 'nothing changed')
  })

  t.test('set: an invalid value exits 4 and names the field', async (t) => {
    const before = await read()
    const client = await run(['set', 'batch_size=seven'], { ...admin, LLM_CONFIG_URL: unreachable })
    t.equal(client.code, EXIT.invalid, 'a value not of its type: refused before any request')
    t.match(client.stderr, /invalid value for batch_size: must be an integer \(got "seven"\)/)
    t.match(await run(['set', 'enabled=yes'], admin), { code: EXIT.invalid, stderr: /enabled: must be true or false/ })

    const server = await run(['set', 'batch_size=0', 'max_retries=1000'], admin)
    t.equal(server.code, EXIT.invalid, '400')
    t.match(server.stderr, /^llm-config: invalid \(400\): .+\n/)
    t.match(server.stderr, /^ {2}batch_size: must be >= 1$/m)
    t.match(server.stderr, /^ {2}max_retries: must be <= 100$/m)

    const rule = await run(['set', 'backup_model=phi3'], admin)
    t.equal(rule.code, EXIT.invalid, '422')
    t.match(rule.stderr, /^llm-config: invalid \(422\): backup_model needs a backup_provider/)
    t.same(await read(), before, 'nothing changed')
  })

  t.test('set: without a token, with a wrong one, or one that may not write, exits 2; the token is never printed', async (t) => {
    const before = await read()
    const none = await run(['set', 'batch_size=8'], anonymous)
    t.equal(none.code, EXIT.unauthorized)
    t.match(none.stderr, /^llm-config: not authorized \(401\): .*Authorization.* Set LLM_CONFIG_TOKEN/)

    const wrong = 'wrong-token-cli-test-7d3f2a9b'
    for (const [how, args, env] of [
      ['--token', ['set', 'batch_size=8', '--token', wrong], anonymous],
      ['LLM_CONFIG_TOKEN', ['set', 'batch_size=8'], { ...anonymous, LLM_CONFIG_TOKEN: wrong }]
    ] as const) {
      const result = await run([...args], env)
      t.equal(result.code, EXIT.unauthorized, how)
      t.match(result.stderr, /not authorized \(401\): The bearer token is not valid/)
      t.notMatch(result.stdout + result.stderr, wrong, `the token (${how}) is not printed`)
    }
    const consumer = await run(['set', 'batch_size=8'], { ...anonymous, LLM_CONFIG_TOKEN: CONSUMER })
    t.equal(consumer.code, EXIT.unauthorized, '403')
    t.match(consumer.stderr, /^llm-config: forbidden \(403\): The token "worker" \(consumer\)/)
    t.notMatch(consumer.stderr, CONSUMER)
    t.same(await read(), before, 'nothing changed')
  })

  t.test('a stale --if-match exits 3 and writes nothing', async (t) => {
    const stale = (await read()).etag
    await patch({ batch_size: 11 })
    const before = await read()
    const set = await run(['set', 'batch_size=12', '--if-match', stale], admin)
    t.equal(set.code, EXIT.conflict)
    t.match(set.stderr, /^llm-config: conflict \(412\): The configuration changed .* Nothing was written\.\n$/)
    const version = stale.replaceAll('"', '')
    const restore = await run(['restore', '1', '--if-match', version], admin)
    t.equal(restore.code, EXIT.conflict, 'restore too; a bare version is taken as its ETag')
    t.same(await read(), before, 'nothing changed')
    t.match(await run(['set', 'batch_size=12', '--if-match', before.etag], admin), { code: EXIT.ok }, 'the current ETag writes')
  })

  t.test('history: version, time, actor, action, changed fields; --json; --limit and --before', async (t) => {
    const table = await run(['history'], anonymous)
    t.equal(table.code, EXIT.ok)
    t.match(table.stdout, /^VERSION\s+TIME\s+ACTOR\s+ACTION\s+CHANGED\n/)
    t.match(table.stdout, /^\d+ +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +admin +update +batch_size$/m)
    t.match(table.stdout, /^1 +\S+ +system +create +/m)

    const json = await run(['history', '--json', '--limit', '2'], anonymous)
    const page = JSON.parse(json.stdout) as { items: Array<{ version: number }>, next: string | null }
    t.equal(page.items.length, 2)
    t.type(page.next, 'string')
    const paged = await run(['history', '--limit', '1', '--before', String(page.items[0]?.version)], anonymous)
    t.match(paged.stdout, new RegExp(`^${page.items[1]?.version} `, 'm'), '--before gives the older page')
    t.match(paged.stdout, /^Older changes: llm-config history --before \d+ --limit 1$/m)
    t.match(await run(['history', '--limit', 'ten'], anonymous), { code: EXIT.usage, stderr: /--limit must be a positive integer/ })
    t.match(await run(['history', '--limit', '1000'], anonymous), { code: EXIT.invalid, stderr: /limit/ }, 'the service\'s bound')
  })

  t.test('restore: version 1\'s state comes back as a new version', async (t) => {
    const before = await read()
    const restore = await run(['restore', '1'], admin)
    t.equal(restore.code, EXIT.ok, restore.stderr)
    t.match(restore.stdout, new RegExp(`^Restored version 1 as version ${Number(before.body.version) + 1}: .*batch_size 12 → 5`))
    t.match((await read()).body, { batch_size: 5, enabled: false, api_url: null })

    const unknown = await run(['restore', '99999'], admin)
    t.equal(unknown.code, EXIT.invalid)
    t.match(unknown.stderr, /invalid \(422\)[^\n]*\n {2}version: is not a version in the history/)
    t.match(await run(['restore', 'latest'], admin), { code: EXIT.usage })
    t.match(await run(['restore', '1'], anonymous), { code: EXIT.unauthorized })
  })

  t.test('watch: the current state, then each version as it is made; Ctrl-C ends it with 0', async (t) => {
    const { body } = await read()
    const version = Number(body.version)
    const json = start(['watch', '--json'], anonymous)
    const table = start(['watch'], anonymous)
    t.teardown(() => { json.kill('SIGKILL'); table.kill('SIGKILL') })
    await until(() => json.stdout().includes('\n') && table.stdout().includes(`version ${version} (current)`), 'the current state')
    await patch({ batch_size: 42 })
    await until(() => json.stdout().split('\n').length > 2 && /: batch_size 5 → 42/.test(table.stdout()), 'the new version')
    json.kill('SIGINT')
    table.kill('SIGINT')

    const jsonRun = await within(10_000, 'watch --json to end', json.done)
    t.match(jsonRun, { code: EXIT.ok, signal: null, stderr: '' })
    const lines = jsonRun.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    t.match(lines, [{ version, batch_size: 5 }, { version: version + 1, batch_size: 42 }], 'one JSON line per version')
    const tableRun = await within(10_000, 'watch to end', table.done)
    t.equal(tableRun.code, EXIT.ok)
    t.match(tableRun.stdout, new RegExp(`^version ${version} \\(current\\)\\nFIELD +VALUE\\n[\\s\\S]*^batch_size +5$`, 'm'))
    t.match(tableRun.stdout, new RegExp(`^version ${version + 1} at \\S+Z: batch_size 5 → 42$`, 'm'))
  })

  t.test('verify: the report; exit 6 when it finds a problem', async (t) => {
    const fake = await startFake(t, 'ollama')
    await patch({ provider: 'ollama', api_url: fake.url, model_tagger: 'phi3', model_enricher: 'llama3', model_analytics: 'llama3:70b' })
    const ok = await run(['verify'], admin)
    t.equal(ok.code, EXIT.ok, ok.stderr)
    t.match(ok.stdout, /^OK/)
    t.match(ok.stdout, new RegExp(`^primary +ollama +${fake.url}/api/tags +yes +200 +\\d+ ms`, 'm'))
    t.match(ok.stdout, /^model_analytics +llama3:70b +primary +ollama +yes$/m)

    const unsaved = await run(['verify', 'model_tagger=gpt-5', '--json'], admin)
    t.equal(unsaved.code, EXIT.verifyFailed)
    t.match(JSON.parse(unsaved.stdout), { ok: false, models: [{ setting: 'model_tagger', model: 'gpt-5', available: false }] })
    t.equal((await read()).body.model_tagger, 'phi3', 'verify stored nothing')
    t.match(await run(['verify'], anonymous), { code: EXIT.unauthorized })
  })

  t.test('an unreachable service, or a URL that is not the service, exits 5', async (t) => {
    const refused = await run(['get'], { LLM_CONFIG_URL: unreachable })
    t.equal(refused.code, EXIT.unavailable)
    t.match(refused.stderr, new RegExp(`^llm-config: cannot reach ${unreachable}: ECONNREFUSED\\n$`))
    t.match(await run(['watch', '--url', unreachable]), { code: EXIT.unavailable, stderr: /cannot reach/ }, 'watch too')

    const fake = await startFake(t, 'openai') // answers 404 to /llm-config
    const other = await run(['get', '--url', fake.url])
    t.equal(other.code, EXIT.unavailable)
    t.match(other.stderr, /unexpected answer from .*\/llm-config: 404/)
    t.match(await run(['get', '--url', 'ftp://example.com']), { code: EXIT.usage })
    t.match(await run(['get', '--url', `http://user:secret-in-url@127.0.0.1:${new URL(server.url).port}`]), { code: EXIT.usage, stderr: /must not contain credentials/ })
  })
})
