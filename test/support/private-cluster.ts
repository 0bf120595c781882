// A PostgreSQL cluster of the test's own: initdb into a temporary directory, its own port on
// 127.0.0.1 and its own socket directory. Fault tests stop, crash and freeze it without
// disturbing any other database server on the machine.
//
// Nothing outlives the test: teardown stops the cluster and deletes its directory, and a
// watchdog process does the same if the test process itself dies (tap's timeout ends a test
// file with SIGALRM, then SIGKILL, and no teardown runs then).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { chown, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const BIN = '/usr/lib/postgresql/15/bin'
const READY_LINE = /database system is ready to accept connections/
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 30_000

/** pg_ctl's shutdown modes, as the signals pg_ctl sends the postmaster. */
const STOP_SIGNALS = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' } as const
export type StopMode = keyof typeof STOP_SIGNALS

interface Teardown { teardown: (fn: () => unknown) => void }

export interface PrivateCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string
  readonly port: number
  /** The temporary directory: data/ (the cluster), the unix socket, guarded-pids. */
  readonly dir: string
  /** Starts the postmaster; resolves with performance.now() when it logged it accepts connections. */
  start: () => Promise<number>
  /** Stops the postmaster as `pg_ctl stop -m <mode>` does and waits until it and its children exited. */
  stop: (mode?: StopMode) => Promise<void>
  /** stop(mode), then start(): resolves with the moment it accepts connections again. */
  restart: (mode?: StopMode) => Promise<number>
  /** SIGSTOP to the postmaster and every process below it; resolves with their pids. */
  freeze: () => Promise<number[]>
  /** SIGCONT to every frozen process (and anything else below the postmaster). */
  thaw: () => Promise<void>
  /** Stops whatever runs (SIGKILL if frozen or stuck) and deletes the directory. Idempotent; registered in teardown. */
  destroy: () => Promise<void>
  /** The postmaster's pid while it runs. */
  pid: () => number | undefined
  /** The postmaster and all its descendants, postmaster first. */
  processes: () => Promise<number[]>
  /** The server log (the postmaster's stderr) so far, for diagnostics. */
  log: () => string
  /** Has the watchdog SIGKILL this process too if the test process dies; undone when it exits. */
  guard: (child: ChildProcess) => void
}

export async function createPrivateCluster (t: Teardown): Promise<PrivateCluster> {
  const owner = await postgresUser()
  const dir = await mkdtemp(join(tmpdir(), 'llm-config-private-pg-'))
  const dataDir = join(dir, 'data')
  const guardFile = join(dir, 'guarded-pids')
  const watchdog = startWatchdog(dir)
  const guarded = new Set<number>()
  let postmaster: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let frozen: number[] = []
  let log = ''
  let destroyed: Promise<void> | undefined

  const destroy = () => (destroyed ??= (async () => {
    try {
      if (postmaster && running(postmaster)) {
        // Thawed and stopped by the postmaster itself, which then reaps its children; SIGKILL
        // only if it does not stop.
        if (frozen.length > 0) await thaw()
        await stopPostmaster('immediate').catch(async () => {
          const pm = postmaster!.pid!
          for (const pid of [pm, ...await descendants(pm)]) signal(pid, 'SIGKILL')
          await exited
        })
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
      if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL')
    }
  })())
  t.teardown(destroy)

  try {
    if (owner) await chown(dir, owner.uid, owner.gid)
    await run(owner, dir, join(BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'])
  } catch (error) {
    await destroy()
    throw error
  }
  const port = await freePort()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`

  async function start (): Promise<number> {
    if (destroyed) throw new Error('the cluster was destroyed')
    if (postmaster && running(postmaster)) throw new Error('the cluster is already running')
    const child = spawn(join(BIN, 'postgres'), [
      '-D', dataDir,
      '-p', String(port),
      '-k', dir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=100'
    ], { cwd: dir, env: postgresEnv(dir), stdio: ['ignore', 'ignore', 'pipe'], ...owner })
    postmaster = child
    frozen = []
    exited = new Promise((resolve) => child.once('exit', () => resolve()))
    const logStart = log.length
    child.stderr!.setEncoding('utf8')
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within ${START_TIMEOUT_MS} ms:\n${log.slice(logStart)}`)), START_TIMEOUT_MS)
      child.stderr!.on('data', (chunk: string) => {
        log += chunk
        if (READY_LINE.test(log.slice(logStart))) {
          clearTimeout(timer)
          resolve(performance.now())
        }
      })
      child.once('exit', (code, sig) => {
        clearTimeout(timer)
        reject(new Error(`PostgreSQL exited (${code ?? sig}) before accepting connections:\n${log.slice(logStart)}`))
      })
      child.once('error', reject)
    })
    return ready
  }

  async function stopPostmaster (mode: StopMode): Promise<void> {
    const child = postmaster
    if (!child || !running(child)) return
    if (frozen.length > 0) throw new Error('the cluster is frozen: thaw it before stopping it')
    child.kill(STOP_SIGNALS[mode])
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL did not stop (${mode}) within ${STOP_TIMEOUT_MS} ms`)), STOP_TIMEOUT_MS)
    })
    try {
      // The postmaster exits only after all of its children did.
      await Promise.race([exited, timedOut])
    } finally {
      clearTimeout(timer)
    }
  }

  async function freeze (): Promise<number[]> {
    const pm = postmaster?.pid
    if (!postmaster || !running(postmaster) || pm === undefined) throw new Error('the cluster is not running')
    // The postmaster first, so that it forks no new process while the others are being stopped.
    signal(pm, 'SIGSTOP')
    const stopped = new Set<number>([pm])
    // A second look finds anything that was being forked during the first.
    for (let pass = 0; pass < 3; pass++) {
      const found = (await descendants(pm)).filter((pid) => !stopped.has(pid))
      if (found.length === 0 && pass > 0) break
      for (const pid of found) {
        signal(pid, 'SIGSTOP')
        stopped.add(pid)
      }
    }
    frozen = [...stopped]
    // SIGSTOP is delivered asynchronously: return once every process is really stopped.
    const deadline = performance.now() + 5_000
    for (;;) {
      const states = await Promise.all(frozen.map(processState))
      if (states.every((state) => state === undefined || state === 'T')) break
      if (performance.now() > deadline) throw new Error(`processes did not stop: ${states.join(' ')}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return frozen
  }

  async function thaw (): Promise<void> {
    const pm = postmaster?.pid
    const all = new Set(frozen)
    if (pm !== undefined) for (const pid of await descendants(pm)) all.add(pid)
    // Children first, the postmaster last: it then finds its children running.
    for (const pid of [...all].filter((pid) => pid !== pm)) signal(pid, 'SIGCONT')
    if (pm !== undefined) signal(pm, 'SIGCONT')
    frozen = []
  }

  // Written synchronously, so that the file always lists what runs now (order of updates).
  function guardFileUpdate (): void {
    if (destroyed) return // the directory is (being) deleted, and the watchdog with it
    writeFileSync(guardFile, [...guarded].join('\n') + '\n')
  }

  return {
    url,
    port,
    dir,
    start,
    stop: (mode = 'fast') => stopPostmaster(mode),
    restart: async (mode = 'fast') => {
      await stopPostmaster(mode)
      return start()
    },
    freeze,
    thaw,
    destroy,
    pid: () => (postmaster && running(postmaster) ? postmaster.pid : undefined),
    processes: async () => {
      const pm = postmaster?.pid
      if (!postmaster || !running(postmaster) || pm === undefined) return []
      return [pm, ...await descendants(pm)]
    },
    log: () => log,
    guard: (child) => {
      if (child.pid === undefined) return
      const pid = child.pid
      guarded.add(pid)
      guardFileUpdate()
      child.once('exit', () => {
        guarded.delete(pid)
        guardFileUpdate()
      })
    }
  }
}

function running (child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function signal (pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error // already gone
  }
}

/** Every process below pid, from /proc (parents before their children). */
export async function descendants (pid: number): Promise<number[]> {
  const children = new Map<number, number[]>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined)
    if (stat === undefined) continue // exited meanwhile
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    const list = children.get(parent) ?? []
    list.push(Number(entry))
    children.set(parent, list)
  }
  const result: number[] = []
  const queue = [...children.get(pid) ?? []]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    result.push(next)
    queue.push(...children.get(next) ?? [])
  }
  return result
}

/** A process's state letter from /proc (R, S, D, T = stopped, Z, ...), or undefined once it is gone. */
export async function processState (pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}

/** initdb and postgres refuse to run as root: as root, they run as the postgres OS user. */
async function postgresUser (): Promise<{ uid: number, gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const id = promisify(execFile)
  const [uid, gid] = await Promise.all([id('id', ['-u', 'postgres']), id('id', ['-g', 'postgres'])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

function postgresEnv (dir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, LC_ALL: 'C', LANG: 'C' }
}

async function run (owner: { uid: number, gid: number } | undefined, cwd: string, file: string, args: string[]): Promise<void> {
  try {
    await promisify(execFile)(file, args, { cwd, env: postgresEnv(cwd), ...owner })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string, stderr?: string }
    throw new Error(`${file} failed:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

/** A port nothing listens on right now (the kernel picks it). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * A detached shell that waits for the test process to end, then SIGKILLs the postmaster, its
 * children and the guarded pids, and deletes the directory. Normally destroy() has already
 * done all that and kills the watchdog. It checks that the postmaster.pid file still names a
 * postgres process before killing it.
 */
function startWatchdog (dir: string): ChildProcess {
  const script = `
    parent=$1 dir=$2
    while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
    for pid in $(cat "$dir/guarded-pids" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    if [ -f "$dir/data/postmaster.pid" ]; then
      pm=$(head -n 1 "$dir/data/postmaster.pid")
      if [ "$(cat "/proc/$pm/comm" 2>/dev/null)" = postgres ]; then
        pkill -KILL -P "$pm"
        kill -KILL "$pm"
      fi
    fi
    rm -rf "$dir"
  `
  const child = spawn('sh', ['-c', script, 'private-cluster-watchdog', String(process.pid), dir], { detached: true, stdio: 'ignore' })
  child.unref()
  return child
}
