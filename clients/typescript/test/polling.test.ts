// Behind a proxy that buffers (the head goes, the body is held until it ends: nginx's
// proxy_buffering; or the whole answer is held), the event stream never delivers: the client
// takes it as unavailable, polls with If-None-Match, gets 304s while nothing changes and sees
// a change at the next poll.
import t from 'tap'
import { LlmConfigClient } from '../src/index.js'
import { startProxy } from './support/proxy.js'
import { patch, service } from './support/service.js'
import { nextChange, until } from './support/wait.js'

const { url } = await service(t)

for (const buffer of ['body', 'response'] as const) {
  t.test(`a proxy that buffers the ${buffer}: polling with 304s`, async (t) => {
    const proxy = await startProxy(t, url, { buffer })
    const client = new LlmConfigClient({ url: proxy.url, pollIntervalMs: 100, streamSilenceMs: 500, streamRetryMs: 60_000 })
    t.teardown(() => client.close())
    const warnings: string[] = []
    client.on('warning', (warning) => warnings.push(warning.message))
    await client.ready()
    t.equal(client.status, 'live')
    t.match(warnings.join('\n'), /event stream cannot be had .*buffering proxy.*polling every 100 ms/)
    await until(() => proxy.count('/llm-config', 304) >= 3, 'three 304s')
    const polls = proxy.passed.filter((p) => p.path === '/llm-config')
    t.ok(polls.slice(1).every((p) => p.headers['if-none-match'] === `"${client.config?.version}"`), 'each poll after the first is conditional')

    const seen = nextChange(client, ({ current }) => current.max_retries === (buffer === 'body' ? 5 : 6))
    await patch(url, { max_retries: buffer === 'body' ? 5 : 6 })
    const change = await seen
    t.ok(change.changed.includes('max_retries'))
    t.equal(client.status, 'live')
    t.equal(proxy.count('/llm-config/watch'), 1, 'the stream is not retried before streamRetryMs')
  })
}
