// Test connection with unsaved values, the typed key included (used for the call, not stored):
// the report per target and per model, then the provider's models offered on the model
// fields. A provider that never answers: progress, the page still usable, and Cancel.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import type { Test } from 'tap'
import { receivedHeaderValues, startFake } from '../../support/fake-providers.js'
import type { Server } from '../../support/server-process.js'
import { everythingInThePage, stored, valueIs } from '../console-support.js'

const FAKE_KEY = 'sk-fake-provider-key-000111222'

/** A server that accepts connections and requests and never answers them. */
async function silentProvider (t: Test): Promise<string> {
  const server = createServer(() => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
}

export async function testConnectionFlow (t: Test, page: Page, server: Server) {
  const fake = await startFake(t, 'openai', { key: FAKE_KEY, models: ['gpt-4o', 'gpt-4o-mini', 'o3-mini'] })
  await page.locator('[name=provider]').selectOption('openai')
  await page.locator('[name=api_url]').fill(fake.url)
  await page.locator('[name=model_tagger]').fill('gpt-4o-mini')
  await page.locator('[name=model_analytics]').fill('gpt-5-nonexistent')
  await page.getByRole('button', { name: 'Replace key' }).click()
  await page.getByLabel('New API key').fill(FAKE_KEY)
  await page.getByRole('button', { name: 'Test connection' }).click()
  const report = page.locator('.report')
  await report.waitFor()
  const text = await report.innerText()
  t.match(text, /Provider: openai/, 'the report names the target')
  t.match(text, /Reachable\s+yes \(HTTP 200\)/, 'reachable, with its status')
  t.match(text, /Latency\s+\d+ ms/, 'and latency')
  t.match(text, /Key\s+accepted/, 'the typed key was accepted')
  t.match(text, /Tagging model\s+gpt-4o-mini\s+found/, 'a configured model found')
  t.match(text, /Analytics model\s+gpt-5-nonexistent\s+missing/, 'a missing one said so')
  t.ok(receivedHeaderValues(fake).includes(FAKE_KEY), 'the unsaved key went to the provider')
  t.match(await stored(server), { provider: 'local', api_key_set: false }, 'nothing was stored')
  const list = await page.locator('[name=model_enricher]').getAttribute('list')
  t.ok(list, 'the model fields offer suggestions')
  t.same(await page.locator(`datalist#${list} option`).evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value)),
    ['gpt-4o', 'gpt-4o-mini', 'o3-mini'], 'the provider\'s models')

  // A provider that never answers.
  await page.locator('[name=api_url]').fill(await silentProvider(t))
  await page.getByRole('button', { name: 'Test connection' }).click()
  await page.getByText(/Testing… \d+ s/).waitFor()
  t.ok(true, 'the test shows progress')
  await page.locator('[name=batch_size]').fill('12')
  await valueIs(page, 'batch_size', '12')
  t.ok(true, 'the rest of the page stays usable meanwhile')
  await page.getByRole('button', { name: 'Cancel' }).click()
  await page.getByText('Test cancelled.').waitFor()
  t.equal(await page.getByRole('button', { name: 'Test connection' }).isEnabled(), true, 'and can run again')

  // Leave the form as it was: undo every unsaved change, the key included.
  await page.getByRole('button', { name: 'Keep the stored key' }).click()
  t.notOk((await everythingInThePage(page)).includes(FAKE_KEY), 'the typed key left the page with its pending change')
  const saved = await stored(server)
  for (const name of ['provider', 'api_url', 'model_tagger', 'model_analytics', 'batch_size'] as const) {
    if (name === 'provider') await page.locator('[name=provider]').selectOption(saved.provider)
    else await page.locator(`[name=${name}]`).fill(String(saved[name] ?? ''))
  }
  await page.getByText('No unsaved changes').waitFor()
}
