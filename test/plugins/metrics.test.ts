// /metrics, request ids, and 503 under pressure.
import t from 'tap'
import { auth, testApp } from '../helper.js'

t.test('GET /metrics: route counts and durations, and the service\'s own state', async (t) => {
  const { app } = await testApp(t)
  await app.inject({ method: 'GET', url: '/llm-config' })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 8 } })
  await app.inject({ method: 'PATCH', url: '/llm-config', headers: auth, payload: { batch_size: 'x' } })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const body = res.body
  t.match(body, /http_request_duration_seconds_count\{method="GET",route="\/llm-config",status_code="200"\} 1/, 'count per route and status')
  t.match(body, /http_request_duration_seconds_count\{method="PATCH",route="\/llm-config",status_code="400"\} 1/)
  t.match(body, /http_request_duration_seconds_bucket\{le="[\d.]+",method="PATCH",route="\/llm-config",status_code="200"\}/, 'a duration histogram')
  t.match(body, /^llm_config_version 2$/m, 'the version this replica serves')
  t.match(body, /^llm_config_listener_connected 1$/m)
  t.match(body, /^llm_config_watchers 0$/m)
  t.match(body, /^llm_config_cache_reads\{result="(hit|miss)"\} \d+$/m)
  // A number, not 0: a NOTIFY-triggered read of the replica may be in flight at scrape time.
  t.match(body, /^llm_config_db_work_in_flight \d+$/m)
  t.match(body, /^process_resident_memory_bytes \d+/m, 'prom-client\'s default process metrics')
  t.notMatch(body, /route="\/metrics"/, 'scrapes are not counted')
})

t.test('METRICS_TOKEN protects /metrics', async (t) => {
  const token = 'metrics-token-0123456789'
  const { app } = await testApp(t, { env: { METRICS_TOKEN: token } })
  const denied = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(denied.statusCode, 401)
  t.match(denied.headers['content-type'], /^application\/problem\+json/)
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
})

t.test('x-request-id: honoured when it is a plain token, echoed, and on every log line of the request', async (t) => {
  const { app, logs } = await testApp(t, { captureLogs: true })
  const given = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'x-request-id': 'trace-abc.123' } })
  t.equal(given.headers['x-request-id'], 'trace-abc.123')
  const lines = logs().split('\n').filter((line) => line.includes('"url":"/llm-config"') || line.includes('"res":'))
  t.ok(lines.length >= 2)
  t.ok(lines.every((line) => line.includes('"reqId":"trace-abc.123"')), 'the request\'s log lines carry it')

  const forged = await app.inject({ method: 'GET', url: '/llm-config', headers: { 'x-request-id': 'bad id\n{"level":60}' } })
  t.match(forged.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an unsafe id is replaced by a UUID')
  const none = await app.inject({ method: 'GET', url: '/llm-config' })
  t.match(none.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.not(none.headers['x-request-id'], forged.headers['x-request-id'])
  const problem = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'trace-404' } })
  t.equal(problem.headers['x-request-id'], 'trace-404', 'errors too')
})

t.test('a blocked event loop → 503 problem+json with Retry-After (under-pressure)', async (t) => {
  const { app } = await testApp(t, { env: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '20' } })
  let status = 0
  let res
  for (let attempt = 0; attempt < 20 && status !== 503; attempt++) {
    const until = Date.now() + 300
    while (Date.now() < until) { /* block the event loop */ }
    await new Promise((resolve) => setTimeout(resolve, 50))
    res = await app.inject({ method: 'GET', url: '/llm-config' })
    status = res.statusCode
  }
  t.equal(status, 503)
  t.equal(res?.headers['retry-after'], '10')
  t.match(res?.headers['content-type'], /^application\/problem\+json/)
  t.match(res?.json(), { status: 503, detail: /overloaded/ })
})

const countOf = (body: string, method: string, route: string, status: number) => {
  const line = new RegExp(`^http_request_duration_seconds_count\\{method="${method}",route="${route.replaceAll('/', '\\/')}",status_code="${status}"\\} (\\d+)$`, 'm').exec(body)
  return line ? Number(line[1]) : 0
}

t.test('refused requests are counted by route and status: 401, 403 and 429 of the auth hook, the drain\'s and under-pressure\'s 503', async (t) => {
  const { app } = await testApp(t, { env: { READER_TOKENS: 'dashboard:reader-token-dashboard-5b8e2f', AUTH_FAILURE_LIMIT: '2' } })
  const reader = { authorization: 'Bearer reader-token-dashboard-5b8e2f' }
  t.equal((await app.inject({ method: 'PATCH', url: '/llm-config', headers: reader, payload: { batch_size: 8 } })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 429)
  const body = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(countOf(body, 'PATCH', '/llm-config', 403), 1, '403')
  t.equal(countOf(body, 'GET', '/llm-config', 401), 2, '401')
  t.equal(countOf(body, 'GET', '/llm-config', 429), 1, '429')
})

t.test('the drain\'s 503 is counted', async (t) => {
  const { app } = await testApp(t)
  await app.drain(0)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 503)
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 503)
  const text = await app.metricsRegistry.metrics()
  t.equal(countOf(text, 'GET', '/llm-config', 503), 2)
})

t.test('under-pressure\'s 503 is counted', async (t) => {
  const { app } = await testApp(t, { env: { PRESSURE_MAX_HEAP_USED_BYTES: '1' } })
  // under-pressure samples the heap once a second: wait for the first sample.
  for (let waited = 0; !app.isUnderPressure() && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 503)
  const text = await app.metricsRegistry.metrics()
  t.equal(countOf(text, 'GET', '/llm-config', 503), 1)
})
