// History: versions newest first, paged through `next`; one opened shows its diff, field by
// field; Restore asks, then restores with If-Match, and the page shows the new version.
import type { Page, Request } from 'playwright-core'
import type { Test } from 'tap'
import type { Server } from '../../support/server-process.js'
import { api, stored, valueIs } from '../console-support.js'

export async function historyFlow (t: Test, page: Page, requests: Request[], server: Server) {
  const history = page.getByRole('region', { name: 'History' })
  await page.getByRole('heading', { name: 'History' }).waitFor()
  const now = await stored(server)
  const first = history.getByRole('button', { name: new RegExp(`^v${now.version}\\b`) })
  await first.waitFor()
  const versions = await history.locator('button.version .v').allInnerTexts()
  t.same(versions.slice(0, 3), [`v${now.version}`, `v${now.version - 1}`, `v${now.version - 2}`], 'newest first')
  const older = history.getByRole('button', { name: 'Older versions' })
  if (await older.count() > 0) {
    await older.click()
    await history.locator('button.version .v', { hasText: /^v1$/ }).waitFor()
    t.ok(true, 'older versions page in through next')
  }

  // The version that set batch_size to 20 (edit-and-save): its diff, then restore it.
  const all = (await api(server, 'GET', '/llm-config/history?limit=100')).body as { items: Array<{ version: number, changes: Record<string, { new?: unknown }> }> }
  const target = all.items.find((item) => item.changes.batch_size?.new === 20)!
  await history.getByRole('button', { name: new RegExp(`^v${target.version}\\b`) }).click()
  const diff = history.locator('table.diff')
  await diff.waitFor()
  t.match(await diff.innerText(), /Batch size\s+batch_size\s+5\s+20/, 'old → new, field by field')
  await history.getByRole('button', { name: 'Restore', exact: true }).click()
  const dialog = page.getByRole('dialog')
  await dialog.waitFor()
  t.match(await dialog.innerText(), new RegExp(`Restore version ${target.version}\\?`), 'a confirmation first')
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click()
  await page.getByText(`Version ${target.version} restored as version ${now.version + 1}.`).waitFor()
  const restore = requests.filter((r) => r.url().endsWith('/llm-config/restore')).at(-1)!
  t.equal(restore.headers()['if-match'], `"${now.version}"`, 'restored with If-Match')
  await valueIs(page, 'batch_size', '20')
  t.equal(await page.getByTestId('version').innerText(), String(now.version + 1), 'the page shows the new version')
  t.match(await stored(server), { batch_size: 20, version: now.version + 1 }, 'the service restored it')
}
