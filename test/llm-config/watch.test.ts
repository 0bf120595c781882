// Live propagation: GET /llm-config/watch (Server-Sent Events) on a listening app, and
// replicas that learn of each other's writes through NOTIFY.
import { connect } from 'node:net'
import { sql } from 'drizzle-orm'
import t from 'tap'
import type { App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { llmConfig } from '../../src/db/schema.js'
import { NOTIFY_CHANNEL } from '../../src/llm-config/history/queries.js'
import { auth, backend, reopen, testApp } from '../helper.js'
import { headersOf, roleEnv } from '../support/roles.js'
import { eventually, listen, watch, WAIT_MS } from '../support/sse.js'

const json = { ...auth, 'content-type': 'application/json' }

const patch = async (app: App, payload: Record<string, unknown>) => {
  const res = await app.inject({ method: 'PATCH', url: '/llm-config', headers: json, payload })
  if (res.statusCode !== 200) throw new Error(`PATCH answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

const read = async (app: App) => (await app.inject({ method: 'GET', url: '/llm-config' })).json()

t.test('on connect: an event stream that starts with the current state', async (t) => {
  const { app } = await testApp(t)
  const state = await patch(app, { batch_size: 12, api_key: 'sk-watch-0123456789ABCD' })
  const stream = await watch(t, app)
  t.equal(stream.status, 200)
  t.match(stream.headers['content-type'], /^text\/event-stream/)
  t.equal(stream.headers['cache-control'], 'no-cache')
  const event = await stream.next()
  t.match(event, { id: '2', event: 'config' })
  t.strictSame(JSON.parse(event.data), state, 'data: the state')
  t.strictSame(JSON.parse(event.data), await read(app), 'as GET /llm-config shows it')
  t.ok(stream.raw.includes(`id: 2\nevent: config\ndata: ${event.data}\n\n`), 'framed as id, event, one data line, blank line')
  t.notMatch(event.data, /sk-watch|llmcfg:|"api_key"/, 'no key, no ciphertext')
})

t.test('one event per new version, in order, whatever made it', async (t) => {
  const first = await testApp(t)
  const { app } = first
  const stream = await watch(t, app)
  const [initial] = await stream.configs(1)
  t.equal(initial?.version, 1)

  const written = [
    await patch(app, { batch_size: 21 }),
    (await app.inject({ method: 'PUT', url: '/llm-config', headers: json, payload: { provider: 'openai', api_key: 'sk-0123456789abcdef' } })).json(),
    (await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 2 } })).json(),
    (await app.inject({ method: 'DELETE', url: '/llm-config', headers: auth })).json()
  ]
  t.strictSame(await stream.configs(written.length), written, 'every version, in order, as its write answered')

  // Concurrent writes: still every version once, in increasing order.
  const concurrent = await Promise.all(Array.from({ length: 10 }, (_, i) => patch(app, { concurrent_tasks: 10 + i })))
  const events = await stream.configs(10)
  t.same(events.map((config) => config.version), Array.from({ length: 10 }, (_, i) => 6 + i), 'consecutive versions')
  t.strictSame([...events].sort((a, b) => a.version - b.version), [...concurrent].sort((a, b) => a.version - b.version), 'each as written')
  await patch(app, { batch_size: 77 })
  const [last] = await stream.configs(1)
  t.equal(last?.version, 16)
  t.strictSame(stream.unread(), [], 'nothing more')
})

t.test('Last-Event-ID: a reconnect resumes after it, replaying what was missed, exactly once and in order', async (t) => {
  const { app } = await testApp(t)
  const stream = await watch(t, app)
  await stream.configs(1)
  await patch(app, { batch_size: 30 })
  await patch(app, { batch_size: 31 })
  const seen = await stream.configs(2)
  const lastId = stream.events.at(-1)?.id ?? ''
  t.equal(lastId, '3')
  stream.close()

  // Written while disconnected.
  const missed = []
  for (let i = 0; i < 5; i++) missed.push(await patch(app, { batch_size: 40 + i }))
  missed.push((await app.inject({ method: 'POST', url: '/llm-config/restore', headers: json, payload: { version: 2 } })).json())
  missed.push((await app.inject({ method: 'DELETE', url: '/llm-config', headers: auth })).json())

  const resumed = await watch(t, app, { 'last-event-id': lastId })
  t.equal(resumed.status, 200)
  t.strictSame(await resumed.configs(missed.length), missed, 'versions 4..10 from the history, each as it was written')
  const live = await patch(app, { batch_size: 99 })
  t.strictSame(await resumed.configs(1), [live], 'then live again')
  t.strictSame(resumed.unread(), [], 'nothing repeated')
  t.same([...seen, ...missed, live].map((config) => config.version), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'across both connections: every version once')

  // Resuming from the current version: nothing to replay, the next version comes live.
  const upToDate = await watch(t, app, { 'last-event-id': String(live.version) })
  const next = await patch(app, { batch_size: 100 })
  t.strictSame(await upToDate.configs(1), [next], 'no initial event when nothing was missed')

  // Writes racing the reconnect are neither missed nor repeated.
  const racing = watch(t, app, { 'last-event-id': '5' })
  const during = await Promise.all(Array.from({ length: 5 }, (_, i) => patch(app, { max_retries: i })))
  const raced = await racing
  const total = Math.max(...during.map((config) => config.version)) - 5
  const events = await raced.configs(total)
  t.same(events.map((config) => config.version), Array.from({ length: total }, (_, i) => 6 + i), 'versions 6.. up to the last write, once each')

  // An unusable Last-Event-ID is ignored: the stream starts with the current state.
  const garbage = await watch(t, app, { 'last-event-id': 'not-a-version' })
  const [start] = await garbage.configs(1)
  t.strictSame(start, await read(app))
})

t.test('a watcher ahead of the history (Last-Event-ID above the current version, as after a restore from backup) gets the current state at once', async (t) => {
  const { app } = await testApp(t)
  const state = await patch(app, { batch_size: 14 })
  const ahead = await watch(t, app, { 'last-event-id': '99' })
  t.equal(ahead.status, 200)
  t.strictSame(await ahead.configs(1), [state], 'the current state, without waiting for version 100')
  const next = await patch(app, { batch_size: 15 })
  t.strictSame(await ahead.configs(1), [next], 'then every new version')
  t.strictSame(ahead.unread(), [])
})

t.test('events list the fields as GET /llm-config does: the same serialisation, byte for byte', async (t) => {
  const { app } = await testApp(t)
  await patch(app, { batch_size: 16, api_key: 'sk-order-0123456789ABCD', backup_provider: 'ollama', backup_model: 'llama3' })
  const stream = await watch(t, app)
  const first = await stream.next()
  const get = await app.inject({ method: 'GET', url: '/llm-config' })
  t.same(Object.keys(JSON.parse(first.data)), Object.keys(get.json()), 'the same order of fields')
  t.equal(first.data, get.body, 'the same bytes')
  const written = await patch(app, { batch_size: 17 })
  const live = await stream.next()
  t.same(Object.keys(JSON.parse(live.data)), Object.keys(written), 'a live event too')
  t.equal(live.data, (await app.inject({ method: 'GET', url: '/llm-config' })).body)
})

t.test('heartbeat comments every WATCH_HEARTBEAT_MS keep the stream alive', async (t) => {
  const { app } = await testApp(t, { env: { WATCH_HEARTBEAT_MS: '100' } })
  const stream = await watch(t, app)
  await stream.configs(1)
  await stream.until(() => stream.comments.filter((comment) => comment === 'heartbeat').length >= 3, WAIT_MS, '3 heartbeats')
  t.ok(stream.comments.every((comment) => comment === 'heartbeat'), 'only heartbeat comments')
  t.strictSame(stream.unread(), [], 'heartbeats are comments, not events')
  t.equal(stream.ended, false, 'the stream stays open')
  // Still delivering after the heartbeats.
  const written = await patch(app, { enabled: true })
  t.strictSame(await stream.configs(1), [written])

  t.throws(() => loadConfig({ DATABASE_URL: 'memory://', WATCH_HEARTBEAT_MS: '99' }), /WATCH_HEARTBEAT_MS/, 'below 100 ms is refused, naming the variable')
})

t.test('WATCH_MAX bounds the watchers of a replica: 503 problem with Retry-After beyond it', async (t) => {
  const { app } = await testApp(t, { env: { WATCH_MAX: '2' } })
  const one = await watch(t, app)
  const two = await watch(t, app)
  await one.configs(1)
  await two.configs(1)
  const three = await watch(t, app)
  t.equal(three.status, 503)
  t.match(three.headers['content-type'], /^application\/problem\+json/)
  t.match(three.headers['retry-after'], /^\d+$/)
  await three.until(() => three.ended, WAIT_MS, 'the end of the 503 answer')
  t.match(JSON.parse(three.body), { status: 503, detail: /WATCH_MAX/ })

  // The others keep working; a closed one frees its place.
  const written = await patch(app, { batch_size: 8 })
  t.strictSame(await one.configs(1), [written])
  t.strictSame(await two.configs(1), [written])
  one.close()
  const again = await eventually(async () => {
    const stream = await watch(t, app)
    if (stream.status === 200) return stream
    stream.close()
    return undefined
  }, WAIT_MS, 'a place after one watcher left')
  t.strictSame(await again.configs(1), [written])

  const none = await testApp(t, { env: { WATCH_MAX: '0' } })
  const refused = await watch(t, none.app)
  t.equal(refused.status, 503, 'WATCH_MAX=0: no watchers at all')
  t.equal((await none.app.inject({ method: 'GET', url: '/llm-config' })).statusCode, 200, 'plain reads are not affected')
})

t.test('watching needs read access, like GET /llm-config; CORS stays closed by default', async (t) => {
  const { app } = await testApp(t, { env: roleEnv({ readers: true }) })
  const anonymous = await watch(t, app)
  t.equal(anonymous.status, 401)
  t.match(anonymous.headers['content-type'], /^application\/problem\+json/)
  const reader = await watch(t, app, { ...headersOf('reader'), origin: 'https://admin.example.com' })
  t.equal(reader.status, 200)
  t.notOk(reader.headers['access-control-allow-origin'], 'no CORS header for an unconfigured origin')
  t.equal(reader.headers['x-content-type-options'], 'nosniff', 'the security headers are there')
  t.equal((await reader.configs(1))[0]?.version, 1)

  const preflight = await app.inject({
    method: 'OPTIONS', url: '/llm-config/watch', headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' }
  })
  t.notOk(preflight.headers['access-control-allow-origin'], 'no preflight is granted either')

  const open = await testApp(t, { env: { CORS_ORIGINS: 'https://admin.example.com' } })
  const allowed = await watch(t, open.app, { origin: 'https://admin.example.com' })
  t.equal(allowed.status, 200)
  t.equal(allowed.headers['access-control-allow-origin'], 'https://admin.example.com', 'CORS_ORIGINS opens it to the named origin')
  t.equal((await allowed.configs(1))[0]?.version, 1)
})

t.test('app.close() ends open streams: a graceful shutdown does not wait for watchers', async (t) => {
  const { app } = await testApp(t, { env: { WATCH_HEARTBEAT_MS: '100' } })
  const streams = [await watch(t, app), await watch(t, app, { 'last-event-id': '1' })]
  await streams[0]?.configs(1)
  let closed = false
  const closing = app.close().then(() => { closed = true })
  for (const stream of streams) await stream.until(() => stream.ended, WAIT_MS, 'the end of the stream')
  await Promise.race([closing, new Promise((resolve, reject) => setTimeout(() => reject(new Error('app.close() did not finish')), WAIT_MS))])
  t.ok(closed, 'the app closed')
  t.ok(streams.every((stream) => stream.ended), 'every stream ended')
})

t.test('replicas: a write on one is seen by the other (NOTIFY on PostgreSQL)', async (t) => {
  const first = await testApp(t)
  const second = await reopen(t, first)
  const secondStream = await watch(t, second.app)
  const firstStream = await watch(t, first.app)
  t.equal((await secondStream.configs(1))[0]?.version, 1)
  t.equal((await firstStream.configs(1))[0]?.version, 1)

  const written = await patch(first.app, { batch_size: 77, provider: 'mistral' })
  t.strictSame(await firstStream.configs(1), [written], 'the writer\'s own watchers')
  t.strictSame(await read(first.app), written, 'the writer reads its own write at once')

  if (backend === 'postgres') {
    // Plain reads (the replica's copy), not consistent ones: the copy itself must be refreshed.
    const seen = await eventually(async () => {
      const state = await read(second.app)
      return state.version === written.version ? state : undefined
    }, 2_000, 'the other replica seeing the write')
    t.strictSame(seen, written, 'the other replica serves the new state from its copy')
    t.strictSame(await secondStream.configs(1), [written], 'and its watchers get the event')

    // Several writes in a burst: the other replica's watchers get each version, in order.
    const burst = []
    for (let i = 0; i < 5; i++) burst.push(await patch(first.app, { batch_size: 80 + i }))
    t.strictSame(await secondStream.configs(5), burst, 'every version of the burst, in order (gaps filled from the history)')
    t.strictSame(secondStream.unread(), [])

    // A watcher of the first replica that reconnects to the second resumes there.
    firstStream.close()
    const moved = await watch(t, second.app, { 'last-event-id': String(written.version) })
    t.strictSame(await moved.configs(5), burst, 'the versions it missed, from the other replica\'s history')
    const after = await patch(first.app, { batch_size: 90 })
    t.strictSame(await moved.configs(1), [after], 'then the first replica\'s next write, live')
  } else {
    // Embedded: the second app runs on a copy of the data, so the two are independent.
    t.equal((await read(second.app)).version, 1, 'the copy does not see the first app\'s writes')
    t.strictSame(secondStream.unread(), [], 'nor do its watchers')
    t.equal((await read(first.app)).version, written.version)
  }
})

t.test('a NOTIFY about a version this replica has not seen refreshes its copy and its watchers', async (t) => {
  const { app } = await testApp(t)
  const stream = await watch(t, app)
  await stream.configs(1)
  // A change committed by someone else (another replica, an operator): the row and the NOTIFY.
  await app.database.db.transaction(async (tx) => {
    await tx.update(llmConfig).set({ batch_size: 55, version: sql`${llmConfig.version} + 1` })
    await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, '2')`)
  })
  const seen = await eventually(async () => {
    const state = await read(app)
    return state.version === 2 ? state : undefined
  }, 2_000, 'the replica refreshing its copy')
  t.equal(seen.batch_size, 55)
  const [event] = await stream.configs(1)
  t.strictSame(event, seen, 'the watcher gets the new version')
})

// A request pipelined behind another on one connection gets its socket only once the answer
// before it is sent: the stream must still start, and follow new versions.
t.test('a watch request pipelined behind another on the same connection', async (t) => {
  const { app } = await testApp(t)
  const base = new URL(await listen(app))
  const socket = connect(Number(base.port), base.hostname)
  t.teardown(() => socket.destroy())
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
  socket.write(`GET /healthz HTTP/1.1\r\nHost: ${base.host}\r\n\r\nGET /llm-config/watch HTTP/1.1\r\nHost: ${base.host}\r\n\r\n`)
  await eventually(async () => /id: 1\nevent: config/.test(received) || undefined, WAIT_MS, 'the first event on the pipelined stream')
  t.match(received, /HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK[\s\S]*text\/event-stream[\s\S]*retry: 2000/, 'both answers, the stream after the health check')
  const { version } = await patch(app, { batch_size: 31 })
  await eventually(async () => received.includes(`id: ${version}\nevent: config`) || undefined, WAIT_MS, 'the next version on the pipelined stream')
  t.pass('the pipelined stream follows new versions')
})

t.test('a version published while nobody watches is no error', async (t) => {
  const errors: string[] = []
  const { app } = await testApp(t)
  app.log.error = ((...args: unknown[]) => { errors.push(JSON.stringify(args)) }) as typeof app.log.error
  await patch(app, { batch_size: 32 })
  await patch(app, { batch_size: 33 })
  const stream = await watch(t, app)
  const event = await stream.next()
  t.equal(JSON.parse(event.data).batch_size, 33, 'the first watcher gets the current state')
  t.strictSame(errors, [], 'nothing logged at error level')
})
