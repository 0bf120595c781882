// The drain phase of a shutdown (src/plugins/drain.ts), through app.inject(). The whole
// shutdown of the real process under load is in test/server.test.ts.
import { PassThrough } from 'node:stream'
import { setTimeout } from 'node:timers/promises'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { auth, testApp } from '../helper.js'

t.test('SHUTDOWN_DRAIN_MS: 1000 by default, at most 5000 (half the grace delay)', async (t) => {
  t.equal(loadConfig({}).shutdownDrainMs, 1000)
  t.equal(loadConfig({ SHUTDOWN_DRAIN_MS: '0' }).shutdownDrainMs, 0)
  t.throws(() => loadConfig({ SHUTDOWN_DRAIN_MS: '5001' }), /Invalid environment variable SHUTDOWN_DRAIN_MS/)
})

t.test('before a shutdown: no draining, connections stay open', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(res.statusCode, 200)
  t.not(res.headers.connection, 'close', 'no Connection: close')
})

t.test('while draining: new requests get 503 problem+json with Retry-After and Connection: close; /healthz still answers', async (t) => {
  const { app } = await testApp(t)
  const stored = await app.llmConfig.read()
  await app.drain(0)

  for (const url of ['/llm-config', '/readyz', '/nope']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 503, `${url}: 503`)
    t.equal(res.headers.connection, 'close', `${url}: Connection: close`)
    t.equal(res.headers['retry-after'], '1', `${url}: Retry-After`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { type: 'urn:llm-config:problem:service-unavailable', status: 503, detail: /shutting down/ }, `${url}: says why`)
  }

  const patch = await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 3 } })
  t.equal(patch.statusCode, 503, 'a write is refused')
  t.equal(patch.headers.connection, 'close')
  t.same(await app.llmConfig.read(), stored, 'and changed nothing')

  const health = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200, 'liveness: the process answers until it exits')
  t.same(health.json(), { status: 'ok' })
  t.equal(health.headers.connection, 'close', 'and closes its connection')
})

t.test('a request in flight when the drain starts completes normally, with Connection: close', async (t) => {
  const { app } = await testApp(t)
  // A PATCH whose body arrives in two parts: it has passed onRequest when the drain starts.
  const body = new PassThrough()
  const inFlight = app.inject({ method: 'PATCH', url: '/llm-config', headers: { ...auth, 'content-type': 'application/json' }, payload: body })
  body.write('{"batch_size":')
  // Once Fastify reads the body, the request has passed the onRequest hooks.
  while (body.readableLength > 0) await setTimeout(5)
  await app.drain(0)
  body.end('4}')
  const res = await inFlight
  t.equal(res.statusCode, 200, 'completed')
  t.match(res.json(), { batch_size: 4 })
  t.equal(res.headers.connection, 'close')
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 503, 'the next request is refused')
})
