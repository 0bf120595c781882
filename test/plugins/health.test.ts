import { setTimeout } from 'node:timers/promises'
import t from 'tap'
import { rollbackLatest } from '../../src/scripts/rollback.js'
import { testApp } from '../helper.js'

t.test('/healthz and /readyz answer 200 when all is well', async (t) => {
  const { app } = await testApp(t)
  const health = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
})

t.test('/readyz is 503 problem+json when the schema is not migrated', async (t) => {
  const { app } = await testApp(t)
  t.ok(await rollbackLatest(app.database.db), 'the latest migration is rolled back')
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.headers['content-type'], /^application\/problem\+json/)
  t.match(ready.json(), { status: 503, detail: /not migrated/ })
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process is still alive')
})

t.test('/readyz is 503 when the database is unreachable; consistent reads are 503 problem+json', async (t) => {
  const { app } = await testApp(t)
  await app.database.close()
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 503, detail: /not reachable/ })
  const cached = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(cached.statusCode, 200, 'the replica\'s copy still answers plain reads')
  const read = await app.inject({ method: 'GET', url: '/llm-config?consistent=true' })
  t.equal(read.statusCode, 503, 'a consistent read needs the database')
  t.match(read.headers['content-type'], /^application\/problem\+json/)
  t.equal(read.headers['retry-after'], '1')
  t.same(Object.keys(read.json()).sort(), ['detail', 'status', 'title', 'type'])
})

t.test('unknown routes are 404 problem+json', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'GET', url: '/llm-configs?x=1' })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 404, title: 'Not Found', detail: 'No route GET /llm-configs' })
})

t.test('under pressure (heap above PRESSURE_MAX_HEAP_USED_BYTES): /readyz is 503 naming the limit, /healthz stays 200', async (t) => {
  const { app } = await testApp(t, { env: { PRESSURE_MAX_HEAP_USED_BYTES: '1' } })
  // under-pressure samples the heap once a second: wait for the first sample.
  for (let waited = 0; !app.isUnderPressure() && waited < 10_000; waited += 50) await setTimeout(50)
  t.ok(app.isUnderPressure(), 'under pressure')
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '10')
  t.match(ready.headers['content-type'], /^application\/problem\+json/)
  t.match(ready.json(), { status: 503, title: 'Service Unavailable', detail: /overloaded \(heap use above PRESSURE_MAX_HEAP_USED_BYTES\)/ })
  const health = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200, 'liveness ignores pressure: a restart would only move the load')
  t.same(health.json(), { status: 'ok' })
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 503, 'other routes are refused too')
})
