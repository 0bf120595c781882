// Roles: a reader and a consumer see everything read-only (no enabled Save, Restore or Test
// connection, every input disabled); with open reads, the page can be browsed before signing in.
import type { Browser, Page } from 'playwright-core'
import type { Test } from 'tap'
import type { Server } from '../../support/server-process.js'
import { TOKENS, openConsole, signIn } from '../console-support.js'

async function readOnly (t: Test, page: Page, who: string) {
  t.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true, `${who}: Save is disabled`)
  t.equal(await page.getByRole('button', { name: 'Test connection' }).isDisabled(), true, `${who}: Test connection is disabled`)
  t.equal(await page.locator('[name=batch_size]').isDisabled(), true, `${who}: the inputs are disabled`)
  t.equal(await page.getByRole('button', { name: 'Replace key' }).count(), 0, `${who}: no key buttons`)
  await page.locator('button.version').first().click()
  t.equal(await page.getByRole('button', { name: 'Restore', exact: true }).isDisabled(), true, `${who}: Restore is disabled`)
  t.match(await page.locator('.read-only').innerText(), /Read-only/, `${who}: the page says it is read-only`)
}

export async function rolesFlow (t: Test, browser: Browser, server: Server) {
  for (const [role, token, name] of [['reader', TOKENS.reader, 'dashboard'], ['consumer', TOKENS.consumer, 'worker']] as const) {
    const { page, context } = await openConsole(browser, server)
    await signIn(page, token)
    t.match(await page.locator('.who').innerText(), new RegExp(`Signed in as ${name}\\s+${role}`), `${role}: name and role shown`)
    await readOnly(t, page, role)
    await context.close()
  }
}

/** A service whose reads need no token. */
export async function anonymousFlow (t: Test, browser: Browser, openServer: Server) {
  const { page, context } = await openConsole(browser, openServer)
  await page.locator('[name=batch_size]').waitFor()
  t.ok(true, 'the configuration shows before signing in')
  t.equal(await page.getByLabel('Token').count(), 1, 'with the sign-in form beside it')
  await readOnly(t, page, 'anonymous')
  await context.close()
}
