// The console's plugin as the app registers it: /admin and /admin/ serve index.html under the
// console's CSP, / redirects, assets are cached for good, nothing of it is in the OpenAPI
// document; ADMIN_UI_ENABLED=false removes it; a missing build stops the start with a clear message.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import adminConsole, { CONSOLE_CSP } from '../../src/admin-console/admin-console.js'
import { builtFiles } from '../../src/admin-console/built-files.js'
import { testApp } from '../helper.js'

t.test('served at /admin under its own CSP', async (t) => {
  const { app } = await testApp(t)
  for (const url of ['/admin', '/admin/']) {
    const page = await app.inject({ method: 'GET', url })
    t.equal(page.statusCode, 200, `${url} answers 200`)
    t.match(page.headers['content-type'], /^text\/html/)
    t.equal(page.headers['content-security-policy'], CONSOLE_CSP, 'the console\'s CSP, not the API\'s')
    t.equal(page.headers['cache-control'], 'no-cache', 'index.html is always revalidated')
  }
  const root = await app.inject({ method: 'GET', url: '/' })
  t.equal(root.statusCode, 302)
  t.equal(root.headers.location, '/admin')
  const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec((await app.inject({ method: 'GET', url: '/admin' })).body)?.[1]
  const asset = await app.inject({ method: 'GET', url: script! })
  t.equal(asset.statusCode, 200, 'its script is served')
  t.match(asset.headers['cache-control'], /immutable/, 'hashed assets are cached for good')
  t.equal((await app.inject({ method: 'GET', url: '/admin/nothing-here.js' })).statusCode, 404)
  const api = await app.inject({ method: 'GET', url: '/llm-config' })
  t.match(api.headers['content-security-policy'], /default-src 'none'/, 'the API keeps its own policy')
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> }
  t.same(Object.keys(document.paths).filter((path) => path === '/' || path.startsWith('/admin')), [], 'hidden from the OpenAPI document')
})

t.test('ADMIN_UI_ENABLED=false removes it', async (t) => {
  const { app } = await testApp(t, { env: { ADMIN_UI_ENABLED: 'false' } })
  t.equal((await app.inject({ method: 'GET', url: '/admin' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 404)
})

t.test('without a build, the start fails saying what to run', async (t) => {
  const empty = await mkdtemp(join(tmpdir(), 'no-ui-dist-'))
  t.teardown(() => rm(empty, { recursive: true, force: true }))
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(adminConsole, { root: empty }).ready() }, /admin console is not built.*npm run build/)
})

t.test('the build is found from the module, or else from the working directory', async (t) => {
  t.match(builtFiles(), /ui[\\/]dist$/)
  t.equal(builtFiles('/nowhere'), builtFiles(), 'beside the build first, whatever the working directory')
})
