// The admin console's figure: how soon /admin is usable after it is opened, in Debian's
// Chromium on loopback, against a bare page of the same shape (a labelled token input and a
// button, no script) served by a bare Node.js server in the same run. Each open is a fresh
// browser context (no cache, no storage), console and bare page taken in turns.
//
//   node bench/console.mjs          alone (after npm run build); BENCH_DATABASE_URL as for
//                                   npm run bench, or the embedded database
//   BENCH_CONSOLE_OPENS (7)         opens of each page
//
// "Usable" is the moment the token input is there to type into (the sign-in form), read as
// the page's own performance.now(): milliseconds since its navigation started. Then, on the
// console, how long from the Sign in click until the settings form is shown.
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { killAllChildren } from './lib/processes.mjs'
import { median } from './lib/report.mjs'
import { ADMIN_TOKEN, patch, SETUP_PATCH, standaloneTarget, startService } from './lib/service.mjs'

const self = fileURLToPath(import.meta.url)
const CHROMIUM = '/usr/bin/chromium'
const log = (message) => process.stderr.write(`[bench console] ${message}\n`)

const BARE_PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bare</title></head><body>' +
  '<form><label for="token">Token</label> <input id="token" type="password"> <button type="submit">Sign in</button></form></body></html>'

export function consoleSettings (env = process.env) {
  const opens = Number(env.BENCH_CONSOLE_OPENS ?? 7)
  if (!Number.isInteger(opens) || opens < 1) throw new Error('BENCH_CONSOLE_OPENS must be a positive integer')
  return { opens }
}

/** A bare Node.js server answering every request with BARE_PAGE. */
async function startBarePage () {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    response.end(BARE_PAGE)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}/`, stop: () => new Promise((resolve) => server.close(resolve)) }
}

/** One open in a fresh context: ms from navigation start until the token input is there; then, optionally, sign in. */
async function openOnce (browser, url, { signIn = false } = {}) {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(url, { waitUntil: 'commit' })
    await page.getByLabel('Token').waitFor({ state: 'visible' })
    const usableMs = await page.evaluate(() => performance.now())
    if (!signIn) return { usableMs }
    await page.getByLabel('Token').fill(ADMIN_TOKEN)
    const clicked = await page.evaluate(() => performance.now())
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('[name=batch_size]').waitFor({ state: 'visible' })
    const shown = await page.evaluate(() => performance.now())
    return { usableMs, signInMs: shown - clicked }
  } finally {
    await context.close()
  }
}

/**
 * The console's figure on `target`'s database, in this process.
 * @param {import('./lib/service.mjs').ServiceTarget} target
 */
export async function measureConsole (target, settings = consoleSettings()) {
  if (!existsSync(CHROMIUM)) return { error: `no Chromium at ${CHROMIUM} (apt-get install chromium)` }
  const { chromium } = await import('playwright-core')
  const service = await startService(target)
  const bare = await startBarePage()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run'],
    timeout: 60_000
  })
  try {
    await patch(service, SETUP_PATCH)
    const consoleUrl = `${service.url}/admin`
    // Warm-up: the browser's own first-page costs, and the service's first answers, are not the page's.
    await openOnce(browser, bare.url)
    await openOnce(browser, consoleUrl, { signIn: true })
    const consoleOpens = []
    const bareOpens = []
    for (let i = 0; i < settings.opens; i++) {
      consoleOpens.push(await openOnce(browser, consoleUrl, { signIn: true }))
      bareOpens.push(await openOnce(browser, bare.url))
    }
    const usable = consoleOpens.map((o) => o.usableMs)
    const bareUsable = bareOpens.map((o) => o.usableMs)
    const ratios = usable.map((ms, i) => ms / bareUsable[i])
    const result = {
      opens: settings.opens,
      usableMs: median(usable),
      usableRangeMs: [Math.min(...usable), Math.max(...usable)],
      bareUsableMs: median(bareUsable),
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
      signInMs: median(consoleOpens.map((o) => o.signInMs)),
      consoleOpens,
      bareOpens
    }
    log(`usable after ${result.usableMs.toFixed(0)} ms (bare page ${result.bareUsableMs.toFixed(0)} ms, ${result.ratio.toFixed(2)}×); ` +
      `Sign in to the settings shown: ${result.signInMs.toFixed(0)} ms`)
    return result
  } finally {
    await browser.close()
    await bare.stop()
    await service.stop()
  }
}

async function main () {
  process.on('exit', killAllChildren)
  const { target, cleanup } = await standaloneTarget('console')
  try {
    const result = await measureConsole(target)
    process.stdout.write(JSON.stringify({ ...result, consoleOpens: undefined, bareOpens: undefined }, null, 2) + '\n')
  } finally {
    killAllChildren()
    await cleanup().catch((error) => log(`clean-up failed: ${error.message}`))
  }
}

if (process.argv[1] === self) {
  main().then(() => process.exit(0), (error) => {
    log(`failed: ${error.stack ?? error}`)
    killAllChildren()
    process.exit(1)
  })
}
