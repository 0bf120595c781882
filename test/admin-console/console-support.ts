// What the console's browser tests share: the service with tokens of every role, a page signed
// in as a person does it, the API called directly (as "someone else"), and waits with deadlines.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page, Request } from 'playwright-core'
import { TEST_DATABASE_URL, TEST_ENCRYPTION_KEY, createPostgresDatabase } from '../helper.js'
import { startServer, type Env, type Server } from '../support/server-process.js'

export const TOKENS = {
  admin: 'console-admin-token-0123456789',
  ops: 'console-ops-token-9876543210ab',
  reader: 'console-reader-token-5b8e2f11',
  consumer: 'console-consumer-token-91c4d7a'
}

/** A bound for anything the page should do at once; generous, as a loaded CI machine is slow. */
export const WAIT_MS = 15_000

interface Teardown { teardown: (fn: () => unknown) => void }

/** The real service: an embedded database in a temporary DATA_DIR, or PostgreSQL with TEST_DATABASE_URL. */
export async function startConsoleServer (t: Teardown, env: Env = {}): Promise<Server> {
  const dataDir = await mkdtemp(join(tmpdir(), 'llm-config-console-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  return await startServer(t, {
    DATA_DIR: dataDir,
    DATABASE_URL: TEST_DATABASE_URL ? await createPostgresDatabase(t) : undefined,
    ADMIN_TOKENS: `admin:${TOKENS.admin},ops:${TOKENS.ops}`,
    CONSUMER_TOKENS: `worker:${TOKENS.consumer}`,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    VERIFY_ALLOW_PRIVATE: 'true',
    VERIFY_TIMEOUT_MS: '30000',
    AUTH_FAILURE_LIMIT: '100000',
    WRITE_RATE_LIMIT: '100000',
    ...env
  })
}

/** The API, called by someone else than the page. */
export async function api (server: Server, method: string, path: string, body?: unknown, token = TOKENS.ops) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/merge-patch+json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

export const stored = async (server: Server) => (await api(server, 'GET', '/llm-config?consistent=true')).body

/** The origin of every http(s) request any console page made. */
export const seenOrigins = new Set<string>()

/** A page of its own context (its own sessionStorage), every request it makes recorded. */
export async function openConsole (browser: Browser, server: Server, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT_MS)
  const requests: Request[] = []
  context.on('request', (request) => {
    requests.push(request)
    if (/^https?:/.test(request.url())) seenOrigins.add(new URL(request.url()).origin)
  })
  await page.goto(`${server.url}/admin`)
  return { page, context, requests }
}

export async function signIn (page: Page, token: string) {
  await page.getByLabel('Token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  await page.locator('[name=batch_size]').waitFor()
}

interface PageView { document: { querySelector: (selector: string) => { value?: string } | null } }

/** Waits until the input named `name` shows `value` (its DOM value, as a string). */
export async function valueIs (page: Page, name: string, value: string) {
  // A function, not a string: polling a string predicate needs eval, which the console's CSP refuses.
  // It runs in the page; the tests compile without the DOM's types, hence the narrow view of it.
  await page.waitForFunction(([selector, expected]) => (globalThis as unknown as PageView).document.querySelector(selector)?.value === expected,
    [`[name="${name}"]`, value] as const, { timeout: WAIT_MS })
}

/** The page's own text plus every input's current value and both storages: where a secret must not be. */
export async function everythingInThePage (page: Page): Promise<string> {
  return await page.evaluate(`[document.documentElement.outerHTML,
    ...[...document.querySelectorAll('input, textarea, select')].map((e) => e.value),
    JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage }), document.cookie].join('\\n')`)
}
