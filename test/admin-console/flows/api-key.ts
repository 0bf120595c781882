// The API key: never shown, replaced through a password input, cleared; after each save no
// trace of it is left in the page (DOM, input values, storage).
import type { Page } from 'playwright-core'
import type { Test } from 'tap'
import type { Server } from '../../support/server-process.js'
import { TOKENS, api, everythingInThePage, stored } from '../console-support.js'

export const NEW_KEY = 'sk-console-test-key-abcd1234WXYZ'

export async function apiKeyFlow (t: Test, page: Page, server: Server) {
  await page.getByText('No key is stored').waitFor()
  await page.getByRole('button', { name: 'Replace key' }).click()
  const input = page.getByLabel('New API key')
  t.equal(await input.getAttribute('type'), 'password', 'a password input')
  t.equal(await input.getAttribute('autocomplete'), 'off', 'that browsers do not remember')
  await input.fill(NEW_KEY)
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText('A key is stored (…WXYZ)').waitFor()
  t.ok(true, 'the page shows that a key is stored, by its hint')
  t.notOk((await everythingInThePage(page)).includes(NEW_KEY), 'no trace of the key in the page or its storage')
  const revealed = await api(server, 'GET', '/llm-config/credentials', undefined, TOKENS.admin)
  t.equal(revealed.body.api_key, NEW_KEY, 'the service stored the key typed')

  await page.getByRole('button', { name: 'Clear key' }).click()
  await page.getByText('it will be cleared when you save').waitFor()
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText('No key is stored').waitFor()
  t.match(await stored(server), { api_key_set: false }, 'Clear cleared it')
}
