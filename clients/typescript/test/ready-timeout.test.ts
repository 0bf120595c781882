// Without the service: ready() times out with a message that says what it tried; a corrupt
// or foreign cache file is ignored with a warning, never trusted; close() ends everything.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LlmConfigClient, LlmConfigTimeoutError } from '../src/index.js'
import { freePort } from './support/service.js'

const url = `http://127.0.0.1:${await freePort()}` // nobody listens there
const fast = { backoffBaseMs: 50, backoffCapMs: 100, cacheGraceMs: 50 }

t.test('no service, no cache file: ready() times out clearly', async (t) => {
  const client = new LlmConfigClient({ url, ...fast })
  t.teardown(() => client.close())
  const error = await client.ready({ timeoutMs: 400 }).then(() => undefined, (error: unknown) => error)
  t.type(error, LlmConfigTimeoutError)
  t.match((error as Error).message, new RegExp(`no configuration within 400 ms from ${url} \\(.*unreachable.*\\); no cacheFile is configured`))
  t.equal(client.status, 'initializing')
})

for (const [what, content] of [
  ['corrupt', '{"format": "@llm-config/client cache", "config": {'],
  ['foreign', JSON.stringify({ format: '@llm-config/client cache', format_version: 1, service: 'http://elsewhere:3000', config: { version: 3 } })],
  ['not ours', JSON.stringify({ provider: 'openai', version: 3 })]
]) {
  t.test(`a ${what} cache file is ignored with a warning`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-config-client-corrupt-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const cacheFile = join(dir, 'cache.json')
    await writeFile(cacheFile, content as string)
    const client = new LlmConfigClient({ url, cacheFile, ...fast })
    t.teardown(() => client.close())
    const warnings: string[] = []
    client.on('warning', (warning) => warnings.push(warning.message))
    await t.rejects(client.ready({ timeoutMs: 500 }), /held no usable configuration/)
    t.equal(client.config, undefined, 'not trusted')
    t.match(warnings.join('\n'), `ignoring the cache file ${cacheFile}`)
  })
}

t.test('close() ends the loop, and ready() after it rejects', async (t) => {
  const client = new LlmConfigClient({ url, ...fast })
  const pending = client.ready({ timeoutMs: 5000 })
  await client.close()
  await t.rejects(pending, /closed before it had a configuration/)
  await t.rejects(client.ready(), /closed/)
})
