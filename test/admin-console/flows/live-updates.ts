// Someone else saves while the person edits: untouched fields take the new values at once,
// touched ones keep the person's value, marked; the notice names the version, who and when.
// A field both changed is a conflict that Save refuses in the page until the person chooses,
// per field, Keep mine or Take theirs. A stale If-Match (412, the stream being down) too.
import type { Browser, Page } from 'playwright-core'
import type { Test } from 'tap'
import type { Server } from '../../support/server-process.js'
import { TOKENS, api, openConsole, signIn, stored, valueIs } from '../console-support.js'

export async function liveUpdatesFlow (t: Test, page: Page, server: Server) {
  // Untouched field: it follows the other change; the touched one is saved on top of it.
  await page.locator('[name=model_tagger]').fill('gpt-4o-mini')
  const theirs = await api(server, 'PATCH', '/llm-config', { concurrent_tasks: 4 })
  await valueIs(page, 'concurrent_tasks', '4')
  t.ok(true, 'the untouched field took the new value at once')
  const notice = page.locator('.notice')
  await notice.getByText('by ops').waitFor()
  t.match(await notice.innerText(), new RegExp(`Version ${theirs.body.version} was saved by ops at .*Updated here: Concurrent tasks`), 'the notice names the version, who and when')
  t.equal(await page.locator('[name=model_tagger]').inputValue(), 'gpt-4o-mini', 'the touched field kept the person\'s value')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText(`Saved as version ${theirs.body.version + 1}.`).waitFor()
  t.match(await stored(server), { concurrent_tasks: 4, model_tagger: 'gpt-4o-mini' }, 'both changes are kept')

  // The same fields changed by both: Keep mine for one, Take theirs for the other.
  await page.locator('[name=batch_size]').fill('30')
  await page.locator('[name=max_retries]').fill('5')
  const other = await api(server, 'PATCH', '/llm-config', { batch_size: 40, max_retries: 9, retry_delay: 60 })
  await valueIs(page, 'retry_delay', '60')
  t.equal(await page.locator('[name=batch_size]').inputValue(), '30', 'the person\'s value stays')
  t.match(await page.locator('#field-batch_size-kept').innerText(), /Also changed by someone else, to 40/, 'marked, with the other value')
  await page.getByRole('button', { name: 'Save' }).click()
  const conflicts = page.locator('.conflicts')
  await conflicts.waitFor()
  t.match(await conflicts.innerText(), /Batch size[\s\S]*yours: 30; theirs: 40/, 'the conflict lists both values')
  t.match(await conflicts.innerText(), /Max retries[\s\S]*yours: 5; theirs: 9/, 'for every conflicting field')
  t.equal((await stored(server)).version, other.body.version, 'Save was refused in the page: nothing written')
  await conflicts.getByRole('listitem').filter({ hasText: 'Batch size' }).getByRole('button', { name: 'Keep mine' }).click()
  await conflicts.getByRole('listitem').filter({ hasText: 'Max retries' }).getByRole('button', { name: 'Take theirs' }).click()
  await conflicts.waitFor({ state: 'detached' })
  await valueIs(page, 'max_retries', '9')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText(`Saved as version ${other.body.version + 1}.`).waitFor()
  t.match(await stored(server), { batch_size: 30, max_retries: 9, retry_delay: 60 }, 'mine where kept, theirs where taken')
}

/** A page whose live stream is down: its Save meets 412, handled as a change that arrived. */
export async function staleIfMatchFlow (t: Test, browser: Browser, server: Server) {
  const { page, context } = await openConsole(browser, server)
  await page.route('**/llm-config/watch', (route) => route.abort())
  await signIn(page, TOKENS.admin)
  await page.locator('[name=cache_responses]').uncheck()
  await page.locator('[name=batch_size]').fill('31')
  const other = await api(server, 'PATCH', '/llm-config', { concurrent_tasks: 6, batch_size: 32 })
  await page.getByRole('button', { name: 'Save' }).click()
  const conflicts = page.locator('.conflicts')
  await conflicts.waitFor()
  t.match(await conflicts.innerText(), /yours: 31; theirs: 32/, '412: the conflict is shown, never a raw error')
  await valueIs(page, 'concurrent_tasks', '6')
  await conflicts.getByRole('button', { name: 'Take theirs' }).click()
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText(`Saved as version ${other.body.version + 1}.`).waitFor()
  t.match(await stored(server), { cache_responses: false, batch_size: 32, concurrent_tasks: 6 }, 'saved on top of the latest version')
  await context.close()
}
