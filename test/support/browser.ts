// A real browser for tests of what a person sees: Debian's Chromium (apt-get install chromium)
// driven by playwright-core, which downloads no browser of its own.
// https://playwright.dev/docs/api/class-browsertype#browser-type-launch
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/** tap's `skip` option: false where Chromium is installed, else the reason, shown in the results. */
export const noChromium: false | string = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium)`

interface Teardown { teardown: (fn: () => unknown) => void }

/**
 * A headless Chromium without background networking, component updates or sync; closed at teardown.
 * `extraArgs` are more command-line switches (https://peter.sh/experiments/chromium-command-line-switches/).
 */
export async function launchChromium (t: Teardown, extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run', ...extraArgs],
    timeout: 60_000
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * Everything a page reports as going wrong: console errors (Chromium logs each Content Security
 * Policy violation there: "… violates the following Content Security Policy directive …"), uncaught exceptions, `securitypolicyviolation`
 * events, and requests that failed. Call before the page's first navigation.
 */
export async function pageProblems (page: Page): Promise<string[]> {
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
  })
  page.on('pageerror', (error) => { problems.push(`page error: ${error.message}`) })
  page.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText ?? 'unknown'}`)
  })
  // Exposed bindings run outside the page's CSP, so a strict policy cannot silence this report.
  await page.exposeBinding('__reportCspViolation', (_source, text: string) => { problems.push(`CSP violation: ${text}`) })
  // A string: the project's TypeScript has no DOM types, and this runs in the page.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    window.__reportCspViolation(event.effectiveDirective + ' blocked ' + (event.blockedURI || '(inline)'))
  })`)
  return problems
}
