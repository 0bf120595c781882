// The servers under test run as child processes: each is started on a free loopback port,
// waited for until GET answers 200, measured through /proc (CPU time, RSS) and stopped.
// Every child is registered so that any way out of the harness (the end, an error, Ctrl-C,
// the watchdog) kills them all.
import { spawn, execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set()

/** Children started as the leader of a process group of their own: their own children go with them. */
const groups = new WeakSet()

export function killAllChildren () {
  for (const child of children) {
    if (groups.has(child)) {
      try {
        process.kill(-(/** @type {number} */ (child.pid)), 'SIGKILL')
      } catch {} // the group is gone already
    } else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  children.clear()
}

let clockTicks = 100
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
} catch {}

/** User + system CPU time of a process (all its threads), in milliseconds, from /proc/<pid>/stat. */
export function cpuMs (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) * 1000 / clockTicks
}

/** Resident set size (VmRSS) and its peak (VmHWM), in MB (10^6 bytes), from /proc/<pid>/status. */
export function memory (pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const mb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024 / 1e6
  return { rssMB: mb('VmRSS'), peakMB: mb('VmHWM') }
}

export function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** One GET over a fresh connection; resolves with the status and the body (never rejects). */
export function get (url, headers = {}) {
  return new Promise((resolve) => {
    const req = request(url, { headers, agent: false, timeout: 5000 }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', () => resolve({ status: 0, headers: {}, body: '' }))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }))
    req.end()
  })
}

/**
 * @typedef {object} Server
 * @property {string} name
 * @property {string} url       http://127.0.0.1:<port>
 * @property {number} pid
 * @property {number} startMs   from spawn to the first 200 on the ready path
 * @property {() => Promise<void>} stop  SIGTERM, then SIGKILL after 10 s
 */

/**
 * Starts `node <script>` with `env` (PORT is added) and resolves once GET `readyPath` answers
 * 200, polling every few milliseconds: the time until then is the cold start.
 * @param {{ name: string, script: string, env: Record<string, string | undefined>, readyPath?: string, timeoutMs?: number, cwd: string, nodeArgs?: string[] }} options
 * @returns {Promise<Server>}
 */
export async function startServer ({ name, script, env, readyPath = '/llm-config', timeoutMs = 60_000, cwd, nodeArgs = [] }) {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  let output = ''
  const keep = (chunk) => { output = (output + chunk).slice(-8192) }
  child.stdout.setEncoding('utf8').on('data', keep)
  child.stderr.setEncoding('utf8').on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child)
    resolve({ code, signal })
  }))
  let gone = false
  exited.then(() => { gone = true })

  const url = `http://127.0.0.1:${port}`
  const deadline = started + timeoutMs
  for (;;) {
    if (gone) throw new Error(`${name} exited before it was ready:\n${output}`)
    if (performance.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${output}`)
    }
    const answer = await get(url + readyPath)
    if (answer.status === 200) break
    await sleep(answer.status === 0 ? 2 : 10)
  }
  const startMs = performance.now() - started

  const stop = async () => {
    if (gone) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  return { name, url, pid: /** @type {number} */ (child.pid), startMs, stop, output: () => output }
}

/**
 * Runs `node <script> ...args` to completion; resolves with its stdout, rejects on a non-zero exit.
 * `group`: in a process group of its own, so that ending it (the timeout, killAllChildren) ends
 * the servers it started too. `onStderr` sees its diagnostics as they come.
 */
export function runScript (script, args, { cwd, env = process.env, timeoutMs = 120_000, group = false, onStderr = undefined }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: group })
    children.add(child)
    if (group) groups.add(child)
    if (onStderr) child.stderr.setEncoding('utf8').on('data', onStderr)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk })
    const kill = () => {
      try {
        if (group) process.kill(-(/** @type {number} */ (child.pid)), 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {}
    }
    const timer = setTimeout(kill, timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (group) kill() // whatever it left behind
      children.delete(child)
      if (code === 0) resolve(stdout)
      else reject(new Error(`${script} failed (${code ?? signal}):\n${stderr}`))
    })
  })
}

/**
 * Runs `node <script>` and resolves with the child once it prints a line starting with
 * `ready`; the caller reads its /proc figures and then kills it.
 */
export function startHelper (script, args, { cwd, env = process.env, timeoutMs = 60_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} was not ready after ${timeoutMs} ms:\n${stderr}`))
    }, timeoutMs)
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk })
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk
      const line = stdout.split('\n').find((l) => l.startsWith('ready'))
      if (line === undefined) return
      clearTimeout(timer)
      resolve({
        pid: child.pid,
        line,
        stop: () => new Promise((resolve) => {
          child.once('exit', () => resolve(undefined))
          child.kill('SIGTERM')
        })
      })
    })
    child.once('exit', (code) => {
      children.delete(child)
      clearTimeout(timer)
      reject(new Error(`${script} exited (${code}) before it was ready:\n${stderr}`))
    })
  })
}
