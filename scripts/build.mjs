// The build, as `npm run build` (every step) and `npm start` (only the steps whose inputs
// changed: a restart of an unchanged tree spawns no compiler) run it:
//   node scripts/build.mjs [--changed] [service|client|console ...]
// A step's output folder holds a stamp, written only after the step succeeded, with the time
// the step started: the step is up to date while no input (file or folder, so an added or
// removed file counts too) is newer than that. A failed step leaves no stamp and runs again.
// Progress goes to stderr: the service's stdout carries only its JSON log lines.
import { spawn } from 'node:child_process'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const STAMP = '.build-stamp'
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const shared = ['package.json', 'package-lock.json', 'tsconfig.json']

export const STEPS = [
  {
    name: 'service',
    // tsc --build is incremental itself (dist/.tsbuildinfo); the stamp saves starting it.
    command: [process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--build', 'tsconfig.build.json']],
    inputs: ['src', 'tsconfig.build.json', ...shared],
    output: 'dist'
  },
  {
    name: 'client',
    command: [npm, ['run', 'build', '--silent', '-w', '@llm-config/client']],
    inputs: ['clients/typescript/src', 'clients/typescript/package.json', 'clients/typescript/tsconfig.json', 'clients/typescript/tsconfig.build.json', ...shared],
    output: 'clients/typescript/dist'
  },
  {
    name: 'console',
    // vite.config.ts reads the settings' rules from openapi.json.
    command: [npm, ['run', 'build', '--silent', '-w', '@llm-config/admin-console']],
    inputs: ['ui/src', 'ui/index.html', 'ui/vite.config.ts', 'ui/package.json', 'ui/tsconfig.json', 'openapi.json', ...shared],
    output: 'ui/dist'
  }
]

/** The newest modification time under `path` (the path itself included); 0 if it does not exist. */
async function newest (path) {
  let stats
  try {
    stats = await stat(path)
  } catch (error) {
    if (error.code === 'ENOENT') return 0
    throw error
  }
  let time = stats.mtimeMs
  if (stats.isDirectory()) {
    for (const entry of await readdir(path)) time = Math.max(time, await newest(join(path, entry)))
  }
  return time
}

async function upToDate (step) {
  let startedAt
  try {
    startedAt = Number(await readFile(join(root, step.output, STAMP), 'utf8'))
  } catch {
    return false
  }
  const times = await Promise.all(step.inputs.map((input) => newest(join(root, input))))
  return Number.isFinite(startedAt) && Math.max(...times) < startedAt
}

/** The names of the steps that are not up to date. */
export async function staleSteps () {
  const stale = []
  for (const step of STEPS) if (!await upToDate(step)) stale.push(step.name)
  return stale
}

/** The running step's process, so that a signal during the build can end it too. */
let running

function run ([command, args]) {
  return new Promise((resolve, reject) => {
    running = spawn(command, args, { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] })
    running.once('error', reject)
    running.once('close', (code, signal) => {
      running = undefined
      if (code === 0) resolve()
      else reject(new Error(`exited with ${signal ?? `code ${code}`}`))
    })
  })
}

/** Runs the named steps (all by default) in order; with `changed`, only those not up to date. Throws on the first failure. */
export async function build ({ changed = false, only = [] } = {}) {
  const unknown = only.filter((name) => !STEPS.some((step) => step.name === name))
  if (unknown.length > 0) throw new Error(`unknown build step ${unknown.join(', ')} (steps: ${STEPS.map((step) => step.name).join(', ')})`)
  for (const step of STEPS) {
    if (only.length > 0 && !only.includes(step.name)) continue
    if (changed && await upToDate(step)) continue
    const startedAt = Date.now()
    await rm(join(root, step.output, STAMP), { force: true })
    try {
      await run(step.command)
    } catch (error) {
      throw new Error(`build: ${step.name} failed (${error.message})`)
    }
    await writeFile(join(root, step.output, STAMP), `${startedAt}\n`)
    console.error(`build: ${step.name} built in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  }
}

/** Ends the running step with the signal that ends the build (a SIGTERM to `npm start` while it builds). */
export function stopOnSignal () {
  const onSignal = (signal) => {
    running?.kill(signal)
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
  }
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal)
  return () => process.off('SIGTERM', onSignal).off('SIGINT', onSignal)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  stopOnSignal()
  build({ changed: args.includes('--changed'), only: args.filter((arg) => !arg.startsWith('--')) }).catch((error) => {
    console.error(error.message)
    process.exit(1)
  })
}
