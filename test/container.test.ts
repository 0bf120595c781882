// The container image: the Dockerfile's rules, read from the file, then the Dockerfile's steps
// carried out in a clean copy of the repository (no Docker daemon needed) and the result
// started as the image would start it, against PostgreSQL. The compose files: compose.test.ts.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (file: string) => readFileSync(join(root, file), 'utf8')

// npm ci alone can take a minute or two on a cold cache.
t.setTimeout(10 * 60_000)

interface Instruction { keyword: string, args: string }
interface Stage { image: string, name: string | undefined, instructions: Instruction[] }

/** Dockerfile → stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile (text: string): Stage[] {
  const stages: Stage[] = []
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim())
  for (const line of logical.filter((line) => line !== '' && !line.startsWith('#'))) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === 'FROM') {
      const [image = '', as, name] = args.replace(/--platform=\S+\s+/, '').split(/\s+/)
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args })
    }
  }
  return stages
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)
const jsonArgs = (args: string) => JSON.parse(args) as string[]
const copyFrom = (args: string) => /--from=(\S+)/.exec(args)?.[1]
const copyPaths = (args: string) => args.split(/\s+/).filter((word) => !word.startsWith('--'))

/** ENV lines of the form `ENV A=1 B=2` (the only form the Dockerfile uses). */
function stageEnv (stage: Stage): Record<string, string> {
  const env: Record<string, string> = {}
  for (const args of all(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const [key = '', ...value] = pair.split('=')
      env[key] = value.join('=').replace(/^"(.*)"$/, '$1')
    }
  }
  return env
}

const dockerfile = parseDockerfile(read('Dockerfile'))
const final = dockerfile.at(-1)
if (!final) throw new Error('Dockerfile has no FROM')
const stageNames = dockerfile.map((stage) => stage.name)

t.test('Dockerfile: pinned bases, production-only dependencies, non-root, health-checked', async (t) => {
  for (const { image } of dockerfile) {
    if (stageNames.includes(image)) continue // an earlier stage, not an image
    t.match(image, /^[\w./-]+:\d+[\w.-]*$/, `${image} pinned to a major version`)
    t.notMatch(image, /:latest$/, `${image} is not :latest`)
  }

  const user = all(final, 'USER').at(-1)
  t.ok(user && !/^(root|0)(:|$)/.test(user), `final stage runs as a non-root user (${user})`)
  t.match(all(final, 'HEALTHCHECK').join(' '), /\/healthz/, 'HEALTHCHECK probes /healthz')
  t.same(jsonArgs(all(final, 'CMD').at(-1) ?? 'null'), ['node', 'dist/server.js'], 'CMD: node dist/server.js, no npm in between')
  t.match(stageEnv(final), { NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000', DATA_DIR: '/app/data' }, 'ENV of the image')
  t.ok(all(final, 'EXPOSE').includes('3000'), 'EXPOSE 3000')

  // Production dependencies only: nothing in the final stage installs dev dependencies, and its
  // node_modules come from a stage that prunes them (or installs without them).
  for (const run of all(final, 'RUN')) {
    t.notOk(/\bnpm (ci|install|i)\b/.test(run) && !/--omit=dev/.test(run), `no dev install in the final stage: ${run}`)
  }
  const modules = all(final, 'COPY').find((args) => /node_modules/.test(args))
  const source = dockerfile.find((stage) => stage.name === copyFrom(modules ?? ''))
  t.ok(source && all(source, 'RUN').some((run) => /\bnpm (prune|ci) .*--omit=dev/.test(run)),
    `node_modules copied from a stage that omits dev dependencies (${copyFrom(modules ?? '')})`)
  for (const needed of ['dist', 'drizzle', 'package.json']) {
    t.ok(all(final, 'COPY').some((args) => copyPaths(args).slice(0, -1).some((path) => basename(path) === needed)), `final stage has ${needed}`)
  }
  t.ok(all(final, 'COPY').some((args) => copyPaths(args).slice(0, -1).some((path) => /(^|\/)ui\/dist$/.test(path))), 'final stage has the admin console (ui/dist)')

  const ignored = read('.dockerignore').split(/\r?\n/).map((line) => line.trim().replace(/^\*\*\//, '').replace(/^\/|\/$/g, ''))
  for (const entry of ['node_modules', 'data', '.git', 'dist']) t.ok(ignored.includes(entry), `.dockerignore excludes ${entry}`)
})

t.test('the Dockerfile steps build a service that starts, serves and stops cleanly on PostgreSQL', async (t) => {
  const serverUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
  const redacted = new URL(serverUrl)
  redacted.password = redacted.password && '***'
  const admin = postgres(serverUrl, { max: 1, connect_timeout: 5, onnotice: () => {} })
  const cleanups: Array<() => Promise<unknown>> = [() => admin.end({ timeout: 5 })]
  t.teardown(async () => { for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {}) })
  try {
    await admin`select 1`
  } catch (error) {
    const { code, message } = error as { code?: string, message?: string }
    throw new Error(`No PostgreSQL reachable at ${redacted.href} (${code ?? message}). ` +
      'This test needs one: set TEST_DATABASE_URL to a server where its user may CREATE DATABASE.')
  }
  const name = `llm_config_container_${process.pid}_${randomBytes(4).toString('hex')}`
  await admin.unsafe(`create database "${name}"`)
  cleanups.push(() => admin.unsafe(`drop database if exists "${name}" with (force)`))
  const databaseUrl = new URL(serverUrl)
  databaseUrl.pathname = `/${name}`

  const work = await mkdtemp(join(tmpdir(), 'llm-config-container-'))
  cleanups.push(() => rm(work, { recursive: true, force: true }))
  const context = join(work, 'context') // what `docker build .` sees: the repository's files
  const image = join(work, 'app') // /app in the final image
  const { stdout: listed } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root)
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    if (!existsSync(join(root, file))) continue // deleted in the working tree, not yet committed
    await mkdir(dirname(join(context, file)), { recursive: true })
    await cp(join(root, file), join(context, file))
  }

  // deps, build, and compose's migrate service (which runs from the build stage), then prod-deps.
  await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], context)
  await run('npm', ['run', 'build'], context)
  await run('npm', ['run', 'db:migrate'], context, { DATABASE_URL: databaseUrl.href })
  await run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], context)
  t.notOk(existsSync(join(context, 'node_modules/typescript')), 'dev dependencies pruned')

  // The final stage: only what its COPY instructions bring (sources are relative to the
  // context, or to the other stage's WORKDIR; all of them live in the one directory here).
  await mkdir(image)
  for (const args of all(final, 'COPY')) {
    const paths = copyPaths(args)
    const destination = paths.pop() ?? '.'
    for (const path of paths) {
      const from = join(context, path.replace(/^\/app\//, ''))
      const to = /^\.?\/?$|\/$/.test(destination) ? join(image, destination, basename(path)) : join(image, destination)
      await mkdir(dirname(to), { recursive: true })
      await rename(from, to)
    }
  }

  const port = await freePort()
  const env = {
    PATH: process.env.PATH ?? '',
    ...stageEnv(final),
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: join(image, 'data'),
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: databaseUrl.href
  }
  const [command = '', ...args] = jsonArgs(all(final, 'CMD').at(-1) ?? '[]')
  const server = spawn(command === 'node' ? process.execPath : command, args, { cwd: image, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  server.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  server.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<{ code: number | null, signal: string | null }>((resolve) => {
    server.on('exit', (code, signal) => resolve({ code, signal }))
  })
  cleanups.push(async () => { if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL') })

  const base = `http://127.0.0.1:${port}`
  const started = await waitForHealth(`${base}/healthz`, () => server.exitCode === null && server.signalCode === null)
  if (!started) throw new Error(`The service did not become healthy:\n${output}`)

  const config = await fetch(`${base}/llm-config`)
  t.equal(config.status, 200, 'GET /llm-config')
  t.match(await config.json(), { provider: 'local' }, 'the seeded configuration')
  const ready = await fetch(`${base}/readyz`)
  t.equal(ready.status, 200, '/readyz: migrated by drizzle-kit, accepted by the service')
  t.same(await ready.json(), { status: 'ready' }, '/readyz body')

  const [probe = '', ...probeArgs] = jsonArgs(all(final, 'HEALTHCHECK').join(' ').replace(/^.*?\bCMD\s+/, ''))
  const health = await run(probe === 'node' ? process.execPath : probe, probeArgs, image, env).then(() => 0, () => 1)
  t.equal(health, 0, 'the HEALTHCHECK command passes')

  server.kill('SIGTERM')
  t.same(await exited, { code: 0, signal: null }, 'SIGTERM: graceful exit 0', { output: output.slice(-2000) })
})

/** Runs a command to completion; rejects with the tail of its output when it fails. */
function run (command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  // Not tap's environment: NODE_OPTIONS would load its coverage hooks into every child, and
  // npm_config_*/NODE_ENV from an enclosing `npm test` would change what npm installs.
  const clean = Object.fromEntries(Object.entries(process.env)
    .filter(([key]) => !/^(npm_|NODE_OPTIONS$|NODE_ENV$|NODE_V8_COVERAGE$|TAP|_TAPJS)/i.test(key)))
  return new Promise<{ stdout: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let combined = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); combined += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { combined += chunk.toString() })
    child.on('error', reject)
    child.on('close', (code) => code === 0
      ? resolve({ stdout })
      : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${combined.slice(-4000)}`)))
  })
}

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

/** Polls until the URL answers 2xx; false after a minute, or as soon as the process is gone. */
async function waitForHealth (url: string, running: () => boolean, deadline = Date.now() + 60_000): Promise<boolean> {
  while (running() && Date.now() < deadline) {
    const ok = await fetch(url).then((res) => res.ok, () => false)
    if (ok) return true
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return false
}
