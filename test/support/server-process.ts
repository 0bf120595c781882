// The real service as a child process: dist/server.js started exactly as `npm start` runs it,
// on an environment of the test's own, with its pino JSON lines parsed. Shared by the tests
// of the process (server), of database faults (faults) and of several replicas (replica).
// Every child is SIGKILLed at teardown if it still runs.
import { spawn, type ChildProcess } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../src/config.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
// LLM_CONFIG_SERVER_JS runs another build of the service (a checkout of an earlier commit, say).
const serverJs = process.env.LLM_CONFIG_SERVER_JS ?? join(root, 'dist', 'server.js')

/** How long server.ts lets a shutdown take (its GRACE_MS, close-with-grace's delay), drain included. */
export const GRACE_MS = 10_000

interface Teardown { teardown: (fn: () => unknown) => void }
/** Variables for a child; an undefined value leaves a variable unset. */
export type Env = Record<string, string | undefined>
export interface Exit { code: number | null, signal: NodeJS.Signals | null }
export interface LogLine { level?: number, msg?: string, time?: number, [key: string]: unknown }

export interface Child {
  process: ChildProcess
  stdout: () => string
  stderr: () => string
  /** stdout's pino JSON lines, parsed (a line that is not JSON becomes { msg: line }). */
  logs: () => LogLine[]
  /** Still running (neither exited nor killed). */
  alive: () => boolean
  /** Resolves once the process exited and its output streams closed. */
  closed: Promise<Exit>
}

export interface Server extends Child { url: string }

export interface LaunchOptions {
  /** Called with the child at once (the private cluster's watchdog guards it). */
  guard?: (child: ChildProcess) => void
  /** Names the process in errors ("server" unless given). */
  name?: string
}

/**
 * Checks that the build the children run exists. `npm test` builds once before tap starts
 * (scripts/test.mjs): test files run in parallel, and a build per file would write dist/ while
 * another file's children run it.
 */
export async function assertBuilt (): Promise<void> {
  try {
    await access(serverJs)
  } catch {
    throw new Error(`${serverJs} does not exist: run \`npm run build\` first (\`npm test\` does), or set LLM_CONFIG_SERVER_JS to a build`)
  }
}

/**
 * Every variable src/config.ts reads: the keys of its Env schema, recorded by letting
 * loadConfig read an environment that answers "unset" to everything (it reads each key once,
 * before it validates anything).
 */
function serviceVariables (): Set<string> {
  const read = new Set<string>()
  const recorder = new Proxy<NodeJS.ProcessEnv>({}, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name)
      return undefined
    }
  })
  try {
    loadConfig(recorder)
  } catch {} // an empty environment may be invalid: only the names matter here
  if (!read.has('DATABASE_URL')) throw new Error(`loadConfig no longer reads the environment as expected (read: ${[...read].join(', ')})`)
  return read
}

const SERVICE_VARIABLES = serviceVariables()

/**
 * The environment of a child: ours minus the service's own variables (CI may set
 * DATABASE_URL) and tap's loader and coverage hooks (NODE_OPTIONS, NODE_V8_COVERAGE, TAP*),
 * plus the given ones; an undefined value leaves a variable unset.
 */
export function childEnv (env: Env): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!SERVICE_VARIABLES.has(name) && name !== 'NODE_OPTIONS' && name !== 'NODE_V8_COVERAGE' && !name.startsWith('TAP')) result[name] = value
  }
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) result[name] = value
  }
  return result
}

/** Spawns dist/server.js with childEnv({ PORT: '0', LOG_LEVEL: 'info', ...env }), without waiting for anything. */
export function launch (t: Teardown, env: Env, { guard }: LaunchOptions = {}): Child {
  const child = spawn(process.execPath, [serverJs], {
    cwd: root,
    env: childEnv({ PORT: '0', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  guard?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  const alive = () => child.exitCode === null && child.signalCode === null
  t.teardown(async () => {
    if (alive()) child.kill('SIGKILL')
    await closed
  })
  const logs = () => stdout.split('\n').filter((line) => line.trim() !== '').map((line): LogLine => {
    try {
      return JSON.parse(line) as LogLine
    } catch {
      return { msg: line }
    }
  })
  return { process: child, stdout: () => stdout, stderr: () => stderr, logs, alive, closed }
}

/** Starts the server on a free port (PORT=0) and waits for pino's "Server listening at" line. */
export async function startServer (t: Teardown, env: Env, options: LaunchOptions = {}): Promise<Server> {
  const name = options.name ?? 'server'
  const child = launch(t, env, options)
  const what = options.name === undefined ? 'waiting for "Server listening at"' : `${name}: waiting for "Server listening at"`
  const url = await within(60_000, what, new Promise<string>((resolve, reject) => {
    const check = () => {
      for (const line of child.logs()) {
        const match = /Server listening at (http:\/\/\S+)/.exec(line.msg ?? '')
        if (match?.[1]) {
          child.process.stdout?.off('data', check)
          return resolve(match[1])
        }
      }
    }
    child.process.stdout?.on('data', check)
    check()
    child.closed.then((exit) => reject(new Error(`${name} exited (${JSON.stringify(exit)}) before listening:\n${child.stderr()}`)), reject)
  }))
  return { ...child, url }
}

/** Waits for the process to end (on its own, or after a signal sent by the caller). */
export function exitOf (child: Child, ms = 30_000): Promise<Exit> {
  return within(ms, 'waiting for the process to exit', child.closed)
}

/** Sends a signal and waits up to the grace delay for the exit. */
export async function stop (server: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit & { ms: number }> {
  const started = performance.now()
  server.process.kill(signal)
  const exit = await exitOf(server, GRACE_MS)
  return { ...exit, ms: Math.round(performance.now() - started) }
}

/** The promise's outcome, or a rejection after `ms`. */
export async function within<T> (ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}
