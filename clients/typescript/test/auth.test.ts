// 401 stops the client for good: status failed, an error that says why without the token,
// and no request after the one refused (counted at a proxy in front of the service).
import t from 'tap'
import { LlmConfigAuthError, LlmConfigClient } from '../src/index.js'
import { startProxy } from './support/proxy.js'
import { READER_TOKEN, service } from './support/service.js'

// One service for the file (a start costs seconds on a loaded machine); each test has its own client.
const { url } = await service(t, { env: { READER_TOKENS: `dashboard:${READER_TOKEN}` } })

t.test('401: failed, and no further requests', async (t) => {
  const proxy = await startProxy(t, url)
  const token = 'not-a-token-the-service-knows-0123'
  const client = new LlmConfigClient({ url: proxy.url, token, backoffBaseMs: 20, backoffCapMs: 50, pollIntervalMs: 20 })
  t.teardown(() => client.close())
  const ready = client.ready({ timeoutMs: 10_000 })
  const error = await ready.then(() => undefined, (error: unknown) => error)
  t.type(error, LlmConfigAuthError, 'ready() rejects with the reason')
  t.equal(client.status, 'failed')
  t.equal(client.error, error)
  const message = (error as Error).message
  t.match(message, /does not know this token \(401\)/)
  t.notMatch(message, token, 'the token is never printed')
  t.equal(proxy.count(), 1, 'one request')
  // Absence can only be shown by waiting: forty backoff steps' worth of time.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.equal(proxy.count(), 1, 'and nothing after it')
  t.equal(proxy.passed[0]?.status, 401)
})

t.test('no token where one is needed: the error says to set one', async (t) => {
  const client = new LlmConfigClient({ url })
  t.teardown(() => client.close())
  await t.rejects(client.ready(), /requires a token \(401\) and none was given/)
  t.equal(client.status, 'failed')
})
