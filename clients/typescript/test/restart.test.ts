// The service restarted mid-stream (same database, same port): the client resumes with
// Last-Event-ID and sees every version exactly once, in order, including those written while
// it was away... and those written after it came back.
import t from 'tap'
import { LlmConfigClient } from '../src/index.js'
import { patch, service } from './support/service.js'
import { nextChange, untilStatus } from './support/wait.js'

t.test('a restart mid-stream: no version missed or repeated', async (t) => {
  const svc = await service(t, { env: { SHUTDOWN_DRAIN_MS: '200' } })
  const client = new LlmConfigClient({ url: svc.url, backoffBaseMs: 100, backoffCapMs: 1000 })
  t.teardown(() => client.close())
  const seen: number[] = []
  client.on('change', ({ current }) => seen.push(current.version))
  const statuses: string[] = []
  client.on('status', (status) => statuses.push(status))
  await client.ready()
  const first = client.config?.version ?? 0

  for (let i = 1; i <= 3; i++) await patch(svc.url, { batch_size: 10 + i })
  await nextChange(client, ({ current }) => current.version === first + 3)

  await svc.stop()
  await untilStatus(client, 'stale')
  await svc.start()
  // Written before the client is back: the service replays them from its history.
  for (let i = 4; i <= 6; i++) await patch(svc.url, { batch_size: 10 + i })
  await nextChange(client, ({ current }) => current.version === first + 6)
  t.equal(client.status, 'live')
  await patch(svc.url, { batch_size: 17 })
  await nextChange(client, ({ current }) => current.version === first + 7)

  t.same(seen, [1, 2, 3, 4, 5, 6, 7].map((n) => first + n), 'each version once, in order')
  t.equal(client.config?.batch_size, 17)
  t.same(statuses, ['live', 'stale', 'live'])
})
