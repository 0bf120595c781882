// `npm test`: build once (every test runs the same dist/, never a half-written one), then
// tap on every suite of package.json's "tap" section, then the Python client's unittest.
// Off a terminal (CI, a pipe) tap reports tersely: the summary, and each failing test in
// full. `npm test -- <files or tap options>` runs only tap, with them.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, stopOnSignal } from './build.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function run (what, command, commandArgs) {
  console.error(`--- ${what}`)
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' })
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

stopOnSignal()
try {
  await build({ changed: true })
} catch (error) {
  console.error(error.message)
  process.exit(1)
}
const reporter = process.stdout.isTTY || args.some((arg) => /^(-R|--reporter)/.test(arg)) ? [] : ['--reporter=terse']
const failed = []
if (await run('tap', process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...reporter, ...args]) !== 0) failed.push('tap')
if (args.length === 0) {
  // package.json's test:python: python3 -m unittest discover -s clients/python/tests -t clients/python
  if (await run('the Python client (npm run test:python)', npm, ['run', 'test:python', '--silent']) !== 0) failed.push('the Python client\'s unittest')
}
if (failed.length > 0) {
  console.error(`npm test: ${failed.join(' and ')} failed`)
  process.exit(1)
}
