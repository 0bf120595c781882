// Swagger UI at /docs, used as a person would in a real browser: it renders under the
// service's own headers (helmet's Content-Security-Policy included) without a console error,
// takes the admin token through "Authorize", and its "Try it out" reads and changes the
// configuration. A screenshot of the page is left in .tap/artifacts/swagger-ui.png.
import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import t from 'tap'
import { ADMIN_TOKEN, testApp } from './helper.js'
import { launchChromium, noChromium, pageProblems } from './support/browser.js'

const SCREENSHOT = '.tap/artifacts/swagger-ui.png'
/** A bound for anything the page should do at once; generous, as a loaded CI machine is slow. */
const WAIT_MS = 30_000

/** Expands an operation, presses "Try it out", lets `edit` change the form, then "Execute". */
async function tryItOut (page: Page, operationId: string, edit?: (operation: Locator) => Promise<void>) {
  const operation = page.locator(`#operations-llm-config-${operationId}`)
  await operation.locator('.opblock-summary-control').click()
  await operation.locator('button.try-out__btn').click()
  await edit?.(operation)
  await operation.locator('button.execute').click()
  const response = operation.locator('.live-responses-table .response').first()
  await response.locator('.response-col_description pre').first().waitFor()
  return {
    status: (await response.locator('.response-col_status').innerText()).trim(),
    body: await response.locator('.response-col_description pre').first().innerText()
  }
}

t.test('Swagger UI renders, authorizes and runs requests in Chromium', { skip: noChromium }, async (t) => {
  const { app } = await testApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const browser = await launchChromium(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } })
  page.setDefaultTimeout(WAIT_MS)
  const problems = await pageProblems(page)

  try {
    const loaded = await page.goto(`http://127.0.0.1:${port}/docs`)
    t.equal(loaded?.status(), 200, '/docs answers 200')
    t.match(loaded?.headers()['content-security-policy'], /script-src 'self'/, 'under the service\'s own CSP')
    await page.locator('.information-container .title').filter({ hasText: 'llm-config-service' }).waitFor()
    await page.locator('#operations-llm-config-getLlmConfig').waitFor()
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, object> }
    const operations = Object.values(document.paths).reduce((count, methods) => count + Object.keys(methods).length, 0)
    t.equal(await page.locator('.opblock').count(), operations, 'every operation of the document is listed')

    await page.locator('.scheme-container button.authorize').click()
    const modal = page.locator('.modal-ux')
    t.match(await modal.innerText(), /bearerAuth/, 'the dialog offers the bearer token')
    // The dialog has one form per security scheme (bearerAuth, metricsToken): use bearerAuth's.
    const bearerForm = modal.locator('form').filter({ hasText: 'bearerAuth' })
    await bearerForm.locator('input').first().fill(ADMIN_TOKEN)
    await bearerForm.locator('button[type=submit]').click()
    await bearerForm.getByText('Logout').waitFor()
    await modal.locator('button.btn-done').first().click()
    await modal.waitFor({ state: 'detached' })

    const read = await tryItOut(page, 'getLlmConfig')
    t.equal(read.status, '200', 'GET /llm-config shows 200')
    t.match(read.body, /"provider"/, 'and the configuration')

    const write = await tryItOut(page, 'updateLlmConfig', async (operation) => {
      await operation.locator('textarea.body-param__text').fill('{"batch_size": 42}')
    })
    t.equal(write.status, '200', 'PATCH /llm-config shows 200: the token was sent')
    t.match(write.body, /"batch_size": 42/, 'and the new state')

    const stored = await app.inject({ method: 'GET', url: '/llm-config?consistent=true' })
    t.equal(stored.json().batch_size, 42, 'the service stored it')

    t.same(problems, [], 'no console error, page error, CSP violation or failed request')
  } finally {
    await mkdir(dirname(SCREENSHOT), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    t.comment(`screenshot: ${SCREENSHOT}`)
  }
})

// Reached by a host name over plain HTTP (http://llm-config:3000/docs on a compose network, a
// server's address), helmet's default CSP directive `upgrade-insecure-requests` makes the browser
// fetch every asset of the page over https, which the service does not speak: a blank page.
// Loopback origins (localhost, 127.0.0.1) are exempt as "potentially trustworthy", which is why
// the test above passes. https://www.w3.org/TR/upgrade-insecure-requests/ — src/app.ts turns
// that directive off; this test keeps it off.

t.test('Swagger UI renders when reached by a host name over plain HTTP', { skip: noChromium }, async (t) => {
  const { app } = await testApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  // docs.test (a reserved name, RFC 6761) resolves to the loopback address, but its origin is not "trustworthy".
  const browser = await launchChromium(t, ['--host-resolver-rules=MAP docs.test 127.0.0.1'])
  const page = await browser.newPage()
  const problems = await pageProblems(page)
  await page.goto(`http://docs.test:${port}/docs`)
  const rendered = await page.locator('#operations-llm-config-getLlmConfig').waitFor({ timeout: WAIT_MS / 3 }).then(() => true, () => false)
  t.ok(rendered, 'the operations are listed')
  // Chromium also logs that it ignores Cross-Origin-Opener-Policy on a plain-HTTP origin: harmless.
  t.same(problems.filter((problem) => !problem.startsWith('console error')), [], 'no failed request, CSP violation or page error')
})
