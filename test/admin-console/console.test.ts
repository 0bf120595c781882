// The admin console (/admin) used as a person would, in Debian's Chromium against the real
// service process: sign in, edit and save, someone else's change while editing (untouched and
// conflicting fields, and a stale If-Match), refused values, the key, test connection against
// fake providers (one never answers), history and restore, read-only roles, keyboard-reachable
// and axe-clean, at 1280×800 and 390×844. One browser, two service processes. Screenshots of
// the main states go to .tap/artifacts/admin-*.png.
import { mkdir } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import t from 'tap'
import { launchChromium, noChromium, pageProblems } from '../support/browser.js'
import { TOKENS, openConsole, seenOrigins, signIn, startConsoleServer } from './console-support.js'
import { axeCheck } from './flows/accessibility.js'
import { apiKeyFlow } from './flows/api-key.js'
import { editAndSaveFlow } from './flows/edit-and-save.js'
import { historyFlow } from './flows/history.js'
import { liveUpdatesFlow, staleIfMatchFlow } from './flows/live-updates.js'
import { anonymousFlow, rolesFlow } from './flows/roles.js'
import { signInFlow } from './flows/sign-in.js'
import { testConnectionFlow } from './flows/test-connection.js'

const ARTIFACTS = '.tap/artifacts'
const shot = async (page: Page, name: string) => {
  await page.screenshot({ path: `${ARTIFACTS}/admin-${name}.png` })
  t.comment(`screenshot: ${ARTIFACTS}/admin-${name}.png`)
}

t.test('the admin console in Chromium', { skip: noChromium }, async (t) => {
  await mkdir(ARTIFACTS, { recursive: true })
  const [server, openServer, browser] = await Promise.all([
    startConsoleServer(t, { READER_TOKENS: `dashboard:${TOKENS.reader}` }),
    startConsoleServer(t),
    launchChromium(t)
  ])

  await t.test('the page itself: served under its CSP, / redirects to it', async (t) => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' })
    t.equal(root.status, 302)
    t.equal(root.headers.get('location'), '/admin')
    const page = await fetch(`${server.url}/admin`)
    t.match(page.headers.get('content-security-policy'), /default-src 'self'; script-src 'self'; style-src 'self'.*frame-ancestors 'none'/)
    t.match(await page.text(), /<script type="module" crossorigin src="\/admin\/assets\//, 'one external module script, no inline one')
  })

  await t.test('sign in and out', (t) => signInFlow(t, browser, server))

  const { page, context, requests } = await openConsole(browser, server)
  const problems = await pageProblems(page)
  await signIn(page, TOKENS.admin)
  await shot(page, 'signed-in')
  await axeCheck(t, page, 'signed in as admin')

  await t.test('edit, save, refused values', (t) => editAndSaveFlow(t, page, requests, server))
  await t.test('someone else saves meanwhile', async (t) => {
    await liveUpdatesFlow(t, page, server)
  })
  await t.test('a stale If-Match', (t) => staleIfMatchFlow(t, browser, server))
  await t.test('the API key', (t) => apiKeyFlow(t, page, server))
  await t.test('test connection', async (t) => {
    await testConnectionFlow(t, page, server)
  })
  await t.test('history and restore', (t) => historyFlow(t, page, requests, server))
  await axeCheck(t, page, 'history open, after a restore')
  await page.evaluate('window.scrollTo(0, 0)')
  await shot(page, 'history') // the README's picture (docs/images/admin-console.png)

  await t.test('a conflict, as it looks', async (t) => {
    await page.locator('[name=batch_size]').fill('77')
    await fetch(`${server.url}/llm-config`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKENS.ops}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ batch_size: 78 })
    })
    await page.locator('#field-batch_size-kept').waitFor()
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('.conflicts').waitFor()
    await axeCheck(t, page, 'a conflict shown')
    await page.locator('.conflicts').scrollIntoViewIfNeeded()
    await shot(page, 'conflict')
    await page.getByRole('button', { name: 'Take theirs' }).click()
  })

  await t.test('keyboard alone: Tab reaches the settings and Save', async (t) => {
    await page.locator('[name=batch_size]').focus()
    await page.keyboard.type('9')
    let reached = false
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = await page.evaluate('document.activeElement?.textContent === "Save"') as boolean
    }
    t.ok(reached, 'Save is reached with Tab')
    await page.keyboard.press('Enter')
    await page.getByText(/Saved as version \d+\./).waitFor()
    t.ok(true, 'and Enter saves')
  })

  await t.test('phone-sized (390×844)', async (t) => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.evaluate('window.scrollTo(0, 0)')
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number
    t.equal(overflow, 0, 'no horizontal scrolling')
    await axeCheck(t, page, '390×844')
    await shot(page, 'phone')
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  // Expected: the first look without a token (401: reads need one here), the refused save (400),
  // and the cancelled test (its request aborted).
  const expected = (problem: string) => /status of 40[01] /.test(problem) || /request failed: POST \S+\/llm-config\/verify: net::ERR_ABORTED/.test(problem)
  t.same(problems.filter((problem) => !expected(problem)), [], 'no other console error, page error, CSP violation or failed request')
  await context.close()

  await t.test('reader and consumer: read-only', (t) => rolesFlow(t, browser, server))
  await t.test('open reads: browse before signing in', (t) => anonymousFlow(t, browser, openServer))
  t.same([...seenOrigins].filter((origin) => origin !== server.url && origin !== openServer.url), [], 'no request to any other origin')
})
