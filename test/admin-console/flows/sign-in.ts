// Sign in with a token: a wrong one is refused plainly; a right one shows its name and role and
// lives in sessionStorage only (never localStorage, a cookie or the URL). Sign out forgets it.
import type { Browser } from 'playwright-core'
import type { Test } from 'tap'
import type { Server } from '../../support/server-process.js'
import { TOKENS, openConsole, signIn } from '../console-support.js'

export async function signInFlow (t: Test, browser: Browser, server: Server) {
  const { page, context } = await openConsole(browser, server)
  await page.getByLabel('Token').waitFor()
  // Reported, not asserted: timing belongs in bench/ (STYLE.md), and a loaded CI machine is slow.
  t.comment(`sign-in form usable ${Math.round(await page.evaluate('performance.now()') as number)} ms after navigation started`)
  t.equal(await page.getByLabel('Token').getAttribute('type'), 'password', 'the token field is a password field')

  await page.getByLabel('Token').fill('not-a-real-token-at-all-0000')
  await page.getByRole('button', { name: 'Sign in' }).click()
  t.match(await page.getByRole('alert').innerText(), /not valid/, 'a wrong token says so plainly')

  await signIn(page, TOKENS.admin)
  t.match(await page.locator('.who').innerText(), /Signed in as admin\s+admin/, 'the token\'s name and role are shown')
  const storage = await page.evaluate('JSON.stringify({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })') as string
  t.match(storage, new RegExp(`"session":\\{[^}]*${TOKENS.admin}`), 'the token is in sessionStorage')
  t.ok(!/"local":\{[^}]*token/.test(storage) && !storage.includes(`"cookie":"${TOKENS.admin}`), 'not in localStorage or a cookie')
  t.ok(!page.url().includes(TOKENS.admin), 'nor in the URL')
  t.equal((await context.cookies()).length, 0, 'no cookie at all')

  await page.reload()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  t.ok(true, 'a reload in the same tab stays signed in')
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('Token').waitFor()
  t.equal(await page.evaluate('sessionStorage.length'), 0, 'Sign out forgets the token')
  await context.close()
}
