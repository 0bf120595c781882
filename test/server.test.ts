// The real process: dist/server.js started as a child, as `npm start` runs it, and `npm start`
// itself. Covers what only the process shows: environment errors, persistence across a restart,
// the generated admin token, graceful shutdown under load and through npm, PostgreSQL,
// start-up failure, and which uncaught errors end the process.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import postgres from 'postgres'
import t from 'tap'
import { createDatabaseOn, postgresServerUrl } from './helper.js'
import {
  assertBuilt, childEnv, exitOf, GRACE_MS, launch as launchProcess, startServer as startProcess, stop, within,
  type Child, type Env, type Exit, type LogLine, type Server
} from './support/server-process.js'
import { staleSteps } from '../scripts/build.mjs'
import { runLoad } from './support/keep-alive-load.js'

const ADMIN_TOKEN = 'server-test-admin-token-0123456789'
const root = fileURLToPath(new URL('..', import.meta.url))

// The build `npm test` made before tap started: what `npm start` runs.
await assertBuilt()

interface Teardown { teardown: (fn: () => unknown) => void }

// Every child here has the admin token unless a test sets (or unsets) it.
const launch = (t: Teardown, env: Env) => launchProcess(t, { ADMIN_TOKEN, ...env })
const startServer = (t: Teardown, env: Env) => startProcess(t, { ADMIN_TOKEN, ...env })

async function getConfig (server: Server) {
  const res = await fetch(`${server.url}/llm-config`)
  return { status: res.status, etag: res.headers.get('etag'), body: await res.json() as Record<string, unknown> }
}

async function patchConfig (server: Server, token: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/llm-config`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  return { status: res.status, etag: res.headers.get('etag'), body: await res.json() as Record<string, unknown> }
}

t.test('an invalid environment variable stops the process with a message naming it', async (t) => {
  const secret = 'sh0rt-S3cret' // 12 characters: below ADMIN_TOKEN's minimum of 16
  const cases: Array<{ name: string, value: string }> = [
    { name: 'PORT', value: 'abc' },
    { name: 'LOG_LEVEL', value: 'loud' },
    { name: 'ADMIN_TOKEN', value: secret }
  ]
  for (const { name, value } of cases) {
    t.test(`${name}=${name === 'ADMIN_TOKEN' ? '<12 characters>' : value}`, async (t) => {
      const child = launch(t, { DATABASE_URL: 'memory://', [name]: value })
      const exit = await exitOf(child)
      t.equal(exit.code, 1, 'exit code 1')
      t.match(child.stderr(), new RegExp(`Invalid environment variable ${name}: \\S`), 'stderr names the variable')
      t.notMatch(child.stdout(), /Server listening at/, 'never listened')
      if (name === 'ADMIN_TOKEN') {
        t.notOk(child.stderr().includes(secret), 'the token is not on stderr')
        t.notOk(child.stdout().includes(secret), 'the token is not on stdout')
      }
    })
  }
})

t.test('the embedded database on DATA_DIR keeps changes and ETag across a restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'llm-config-server-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const env = { DATABASE_URL: undefined, DATA_DIR: dataDir }

  const first = await startServer(t, env)
  t.ok(first.logs().some((line) => line.msg === 'database ready' && line.database === `embedded (${dataDir})`), 'uses the embedded database on DATA_DIR')
  const before = await getConfig(first)
  t.equal(before.status, 200)
  const newModel = before.body.model_tagger === 'llama3' ? 'mistral' : 'llama3'
  const patched = await patchConfig(first, ADMIN_TOKEN, { model_tagger: newModel, batch_size: 7 })
  t.equal(patched.status, 200, 'PATCH 200')
  t.match(patched.body, { model_tagger: newModel, batch_size: 7 })
  const afterPatch = await getConfig(first)
  t.match(afterPatch.body, { model_tagger: newModel, batch_size: 7 })
  t.equal(afterPatch.etag, patched.etag, 'GET shows the ETag the PATCH returned')
  t.not(afterPatch.etag, before.etag, 'the write changed the ETag')

  const exit = await stop(first)
  t.equal(exit.code, 0, 'SIGTERM: exit code 0')
  t.comment(`first run stopped ${exit.ms} ms after SIGTERM`)
  const files = await readdir(dataDir)
  t.ok(files.length > 0, `DATA_DIR holds the database (${files.length} entries)`)

  const second = await startServer(t, env)
  const afterRestart = await getConfig(second)
  t.equal(afterRestart.status, 200)
  t.same(afterRestart.body, afterPatch.body, 'the configuration is unchanged by the restart')
  t.equal(afterRestart.etag, afterPatch.etag, 'the ETag is the same after the restart')
  t.equal((await stop(second)).code, 0, 'second run: exit code 0')
})

t.test('without any token, a generated admin token goes to a 0600 file (never a log line) and guards writes', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'llm-config-server-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const server = await startServer(t, { DATABASE_URL: 'memory://', ADMIN_TOKEN: undefined, DATA_DIR: dataDir })
  const tokenFile = join(dataDir, 'admin-token')
  const announcement = server.logs().filter((line) => (line.msg ?? '').includes(tokenFile))
  t.equal(announcement.length, 1, 'one line says where the generated token is')
  t.equal(announcement[0]?.level, 40, 'at warn level')
  const token = (await readFile(tokenFile, 'utf8')).trim()
  t.ok(token.length >= 16, 'the file holds the token')
  t.equal((await stat(tokenFile)).mode & 0o777, 0o600, 'readable by the service\'s user only')

  const before = await getConfig(server)
  const wrong = await patchConfig(server, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, { batch_size: 3 })
  t.equal(wrong.status, 401, 'a wrong token: 401')
  t.same((await getConfig(server)).body, before.body, 'the rejected PATCH changed nothing')
  const right = await patchConfig(server, token, { batch_size: 3 })
  t.equal(right.status, 200, 'the generated token: 200')
  t.match(right.body, { batch_size: 3 })

  t.equal((await stop(server)).code, 0, 'exit code 0')
  t.notOk(`${server.stdout()}\n${server.stderr()}`.includes(token), 'the token appears in no line of output')
})

t.test('NODE_ENV=production without ENCRYPTION_KEY refuses to start, saying why', async (t) => {
  const child = launch(t, { DATABASE_URL: 'memory://', NODE_ENV: 'production', ENCRYPTION_KEY: undefined })
  const exit = await exitOf(child)
  t.equal(exit.code, 1)
  t.match(child.stderr(), /ENCRYPTION_KEY is required when NODE_ENV=production/)
  t.notMatch(child.stdout(), /Server listening at/)
})

t.test('in development on the embedded database, a key file is generated once under DATA_DIR', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'llm-config-server-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const env = { DATABASE_URL: undefined, DATA_DIR: dataDir, ENCRYPTION_KEY: undefined }
  const first = await startServer(t, env)
  const keyFile = join(dataDir, 'encryption.key')
  t.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the key file is mode 0600')
  t.ok(first.logs().some((line) => line.level === 40 && (line.msg ?? '').includes(`generated a key in ${keyFile}`)), 'and the log says so')
  const key = await readFile(keyFile, 'utf8')
  t.equal(Buffer.from(key.trim(), 'base64').length, 32, 'a 32-byte key')
  t.equal((await patchConfig(first, ADMIN_TOKEN, { api_key: 'sk-dev-key-persisted-9876' })).status, 200)
  t.equal((await stop(first)).code, 0)

  const second = await startServer(t, env)
  t.equal(await readFile(keyFile, 'utf8'), key, 'the same key on the next start')
  const revealed = await fetch(`${second.url}/llm-config/credentials`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  t.same(await revealed.json(), { api_key: 'sk-dev-key-persisted-9876' }, 'the key stored by the first run decrypts in the second')
  t.equal((await stop(second)).code, 0)
})

const WORKERS = 20

async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

t.test('SIGTERM under a load of keep-alive clients: each request completes or gets 503 with Connection: close, none is cut, exit 0 in time', async (t) => {
  // The real drain (SHUTDOWN_DRAIN_MS's default); writes unthrottled, so PATCHes stay in the mix.
  const server = await startServer(t, { DATABASE_URL: 'memory://', WRITE_RATE_LIMIT: '1000000' })
  const write = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
  const load = runLoad(server.url, WORKERS, (worker, turn) => (worker + turn) % 5 === 0
    ? { method: 'PATCH', path: '/llm-config', headers: write, body: JSON.stringify({ batch_size: 1 + (turn % 50) }) }
    : { method: 'GET', path: '/llm-config' })
  // Signal once every worker is looping (or the load already failed: the checks below say how).
  await within(60_000, 'waiting for the load to run', until(() => load.outcomes.length >= 10 * WORKERS || load.inFlight() === 0))
  const inFlightAtSignal = load.inFlight()
  const endedBeforeSignal = load.outcomes.length
  server.process.kill('SIGTERM')
  const exit = exitOf(server, GRACE_MS) // rejects when the process outlives the grace delay
  exit.catch(() => {}) // awaited below, after the load
  await load.done

  const counts: Record<string, number> = {}
  const bad: string[] = []
  for (const outcome of load.outcomes) {
    let key: string
    if (outcome.kind === 'response') {
      key = `${outcome.status}${outcome.connection === 'close' ? ' close' : ''}`
      const json = outcome.whole ? parseJson(outcome.body) : undefined
      if (!outcome.whole) bad.push(`cut ${outcome.status}: ${Buffer.byteLength(outcome.body)} bytes`)
      else if (outcome.status === 200) {
        if (json?.provider === undefined) bad.push('200 without the configuration')
      } else if (outcome.status === 503) {
        if (outcome.connection !== 'close') bad.push('503 without Connection: close')
        if (!/^application\/problem\+json/.test(outcome.contentType ?? '') || json?.status !== 503) bad.push(`503 that is not a problem: ${outcome.body}`)
      } else bad.push(`status ${outcome.status}: ${outcome.body}`)
    } else if (outcome.kind === 'refused') {
      key = 'ECONNREFUSED' // a new connection after the port closed: the client moves on
    } else {
      key = 'failed'
      bad.push(outcome.detail) // ECONNRESET, socket hang up, a cut body: never acceptable
    }
    counts[key] = (counts[key] ?? 0) + 1
  }
  t.comment(`${load.outcomes.length} requests (${endedBeforeSignal} ended before SIGTERM, ${inFlightAtSignal} in flight at it): ${JSON.stringify(counts)}`)
  t.same(bad, [], 'every request got a whole 200, or a 503 problem with Connection: close, or a refused new connection')
  t.ok(endedBeforeSignal > 0 && (counts['200'] ?? 0) > 0, 'requests were served before the signal')
  t.ok(inFlightAtSignal > 0, 'requests were in flight when SIGTERM came')
  t.ok((counts['503 close'] ?? 0) > 0, 'the drain answered 503 with Connection: close')
  t.same(await exit, { code: 0, signal: null }, 'exit code 0 within the grace delay, by itself')
  t.ok(server.logs().some((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM'), 'logged the shutdown')
})

function parseJson (body: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(body) as Record<string, unknown>
  } catch {
    return undefined
  }
}

t.test('PostgreSQL: a fresh database is migrated and served', async (t) => {
  const url = await createDatabaseOn(t, postgresServerUrl)

  const started = performance.now()
  const server = await startServer(t, { DATABASE_URL: url })
  const listeningMs = performance.now() - started
  const res = await getConfig(server)
  const firstGetMs = performance.now() - started
  t.comment(`PostgreSQL: spawn → listening ${Math.round(listeningMs)} ms, spawn → first GET 200 ${Math.round(firstGetMs)} ms`)
  t.equal(res.status, 200)
  t.match(res.body, { id: Number, provider: 'local' })
  t.match(res.etag, /^"[A-Za-z0-9_-]+"$/, 'strong ETag')
  t.ok(server.logs().some((line) => line.msg === 'database ready' && line.database === 'postgres'), 'uses PostgreSQL')

  const db = postgres(url, { max: 1, onnotice: () => {} })
  t.teardown(() => db.end())
  const rows = await db`select provider from llm_config`
  t.same(rows.map((row) => row.provider), ['local'], 'migrated and seeded with one configuration row')

  t.equal((await stop(server)).code, 0, 'exit code 0')
})

t.test('an unreachable database stops the process without printing the connection string', async (t) => {
  for (const databaseUrl of [
    'postgres://postgres@127.0.0.1:1/nowhere',
    'postgres://llm_user:pa55-w0rd-xyz@127.0.0.1:1/nowhere'
  ]) {
    t.test(databaseUrl.replace(/:[^:@/]+@/, ':***@'), async (t) => {
      const child = launch(t, { DATABASE_URL: databaseUrl })
      const exit = await exitOf(child)
      t.not(exit.code, 0, `exit code non-zero (${exit.code})`)
      t.not(exit.code, null, 'exited by itself')
      const output = `${child.stdout()}${child.stderr()}`
      t.match(child.stderr(), /\S/, 'says something on stderr')
      t.notOk(output.includes(databaseUrl), 'the connection string is not printed')
      t.notOk(output.includes('pa55-w0rd-xyz'), 'no password is printed')
      t.notOk(output.includes('127.0.0.1:1/nowhere'), 'no part of the connection string is printed')
    })
  }
})

/** Resolves with the first log line that matches, as soon as the child prints it. */
function logLine (child: Child, matches: (line: LogLine) => boolean, what: string): Promise<LogLine> {
  return within(60_000, `waiting for the log line: ${what}`, new Promise<LogLine>((resolve, reject) => {
    const check = () => {
      const line = child.logs().find(matches)
      if (line) {
        child.process.stdout?.off('data', check)
        resolve(line)
      }
    }
    child.process.stdout?.on('data', check)
    check()
    child.closed.then((exit) => reject(new Error(`exited (${JSON.stringify(exit)}) before the log line ${what}:\n${child.stderr()}`)), reject)
  }))
}

const strayErrorHook = pathToFileURL(fileURLToPath(new URL('./support/stray-error.mjs', import.meta.url))).href
/** The signal on which the hook makes its stray error. */
const STRAY_SIGNAL = 'SIGWINCH'

t.test('an uncaught error that does not come from the database client ends the process, non-zero, with a log line', async (t) => {
  for (const stray of ['thrown ECONNRESET', 'rejected ECONNREFUSED of a request']) {
    t.test(stray, async (t) => {
      const server = await startServer(t, { DATABASE_URL: 'memory://', STRAY_ERROR: stray, NODE_OPTIONS: `--import=${strayErrorHook}` })
      server.process.kill(STRAY_SIGNAL)
      const exit = await exitOf(server, GRACE_MS)
      t.equal(exit.code, 1, 'exit code 1')
      const line = server.logs().find((line) => line.msg === 'shutting down after an uncaught error')
      t.ok(line, 'logged why it stopped')
      t.match(line, { level: 50, err: { code: /^ECONN/, frames: /\bat / } }, 'at error level, with the error\'s code and stack frames')
      t.notOk(server.logs().some((line) => /ignored a stray error/.test(line.msg ?? '')), 'not taken for a lost database connection')
    })
  }
})

t.test('a stray error of postgres.js (a query of a lost connection that nobody awaits) is logged and survived', async (t) => {
  const server = await startServer(t, { DATABASE_URL: 'memory://', STRAY_ERROR: 'rejected ECONNREFUSED of postgres.js', NODE_OPTIONS: `--import=${strayErrorHook}` })
  server.process.kill(STRAY_SIGNAL)
  const line = await logLine(server, (line) => /stray error/.test(line.msg ?? ''), 'ignored a stray error')
  t.match(line, { level: 40, msg: 'ignored a stray error of a lost database connection', err: { code: 'ECONNREFUSED' } })
  t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still serving')
  t.notOk(server.logs().some((line) => line.msg === 'shutting down'), 'and not shutting down')
  t.match(await stop(server), { code: 0, signal: null }, 'SIGTERM: a graceful stop')
})

t.test('`npm start` stops gracefully on one SIGTERM to npm, and builds nothing when nothing changed', async (t) => {
  const stale = await staleSteps()
  if (stale.length > 0) return t.plan(0, `skipped: the tree changed since the suite's build (${stale.join(', ')}), and \`npm start\` would rebuild dist/ under the other tests`)
  const started = performance.now()
  const npm = spawn('npm', ['start'], { cwd: root, env: childEnv({ PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: 'memory://', ADMIN_TOKEN }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  npm.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  npm.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  // 'exit', not 'close': a server left behind would keep the pipes open.
  const exited = new Promise<Exit>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })))
  const logs = () => stdout.split('\n').flatMap((line): LogLine[] => {
    try {
      return [JSON.parse(line) as LogLine]
    } catch {
      return []
    }
  })
  t.teardown(() => {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL')
  })
  const listening = await within(60_000, 'npm start: waiting for "Server listening at"', new Promise<LogLine>((resolve, reject) => {
    const check = () => {
      const line = logs().find((line) => /Server listening at/.test(line.msg ?? ''))
      if (line) resolve(line)
    }
    npm.stdout.on('data', check)
    exited.then((exit) => reject(new Error(`npm start exited (${JSON.stringify(exit)}) before listening:\n${stderr}`)), reject)
  }))
  t.comment(`npm start on an unchanged tree: listening after ${Math.round(performance.now() - started)} ms`)
  t.notMatch(stderr, /^build: /m, 'no build step ran: every output was up to date')
  const serverPid = listening.pid as number
  t.type(serverPid, 'number', 'the log line names the server\'s pid')
  t.teardown(() => {
    if (running(serverPid)) process.kill(serverPid, 'SIGKILL') // by its pid: a server left behind
  })

  npm.kill('SIGTERM')
  const exit = await within(GRACE_MS, 'npm start: waiting for npm to exit', exited)
  t.same(exit, { code: 0, signal: null }, 'npm exits 0')
  t.notOk(running(serverPid), 'no server process remains')
  t.ok(logs().some((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM'), 'the server logged "shutting down" for the SIGTERM')
})

function running (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
