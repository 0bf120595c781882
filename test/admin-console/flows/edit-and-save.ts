// Edit and save: a merge patch of only the changed fields, with If-Match; the unsaved-changes
// indicator; and a refused value (the page's own check, then the server's) marked aria-invalid,
// with nothing sent or changed.
import type { Page, Request } from 'playwright-core'
import type { Test } from 'tap'
import type { Server } from '../../support/server-process.js'
import { stored, valueIs } from '../console-support.js'

const patches = (requests: Request[]) => requests.filter((r) => r.method() === 'PATCH' && r.url().endsWith('/llm-config'))

export async function editAndSaveFlow (t: Test, page: Page, requests: Request[], server: Server) {
  const before = await stored(server)
  t.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true, 'nothing to save yet')
  await page.locator('[name=batch_size]').fill('20')
  await page.locator('[name=model_responder]').fill('gpt-4o')
  await page.getByText('Unsaved changes', { exact: true }).waitFor()
  t.ok(true, 'the unsaved-changes indicator shows')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText(`Saved as version ${before.version + 1}.`).waitFor()
  const sent = patches(requests).at(-1)!
  t.same(JSON.parse(sent.postData() ?? ''), { batch_size: 20, model_responder: 'gpt-4o' }, 'the patch names only the changed fields')
  t.equal(sent.headers()['if-match'], `"${before.version}"`, 'with If-Match on the version shown')
  t.equal(sent.headers()['content-type'], 'application/merge-patch+json', 'as a JSON merge patch')
  t.match(await stored(server), { batch_size: 20, model_responder: 'gpt-4o', version: before.version + 1 }, 'the service stored it')
  await page.getByText('No unsaved changes').waitFor()

  // Refused by the page: out of the API's bounds.
  const count = patches(requests).length
  await page.locator('[name=batch_size]').fill('20000')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.locator('[name=batch_size][aria-invalid=true]').waitFor()
  t.match(await page.locator('#field-batch_size-error').innerText(), /At most 10000/, 'the field says why, beside it')
  t.equal(patches(requests).length, count, 'nothing was sent')
  // backup_model needs backup_provider: the API's cross-field rule, checked before sending too.
  await page.locator('[name=batch_size]').fill('20')
  await page.locator('[name=backup_model]').fill('llama3')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.locator('[name=backup_model][aria-invalid=true]').waitFor()
  t.equal(patches(requests).length, count, 'still nothing sent')
  await page.locator('[name=backup_model]').fill('')
  await valueIs(page, 'backup_model', '')

  // Refused by the service: the key's hint sent back as a key (a rule the page leaves to the API).
  await page.getByRole('button', { name: 'Replace key' }).click()
  await page.getByLabel('New API key').fill('…WXYZ')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.locator('[name=api_key][aria-invalid=true]').waitFor()
  t.equal(patches(requests).length, count + 1, 'sent, and refused by the service')
  t.match(await page.getByRole('status').filter({ hasText: 'Not saved' }).innerText(), /refused the marked fields/, 'said in words, not as a raw error')
  t.equal((await stored(server)).version, before.version + 1, 'a refused save changed nothing')
  await page.getByRole('button', { name: 'Keep the stored key' }).click()
}
