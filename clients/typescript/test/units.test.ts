// The pieces that need no service: the SSE parser on awkward chunk boundaries, the backoff's
// bounds and spread, Retry-After, and option validation.
import t from 'tap'
import { Backoff } from '../src/backoff.js'
import { retryAfterMs } from '../src/http.js'
import { LlmConfigClient } from '../src/index.js'
import { SseParser } from '../src/sse-parser.js'

t.test('SSE parser: events split anywhere, CRLF across chunks, comments, persisting ids', async (t) => {
  const text = 'retry: 2000\r\n\r\n: heartbeat\r\n\r\nid: 7\r\nevent: config\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: config\r\ndata: x\r\n\r\n'
  for (let split = 1; split < text.length; split++) {
    const parser = new SseParser()
    const events = [...parser.push(text.slice(0, split)), ...parser.push(text.slice(split))]
    t.same(events, [
      { id: '7', event: 'config', data: '{"a":\n1}' },
      { id: '7', event: 'config', data: 'x' }
    ], `split at ${split}`)
  }
})

t.test('backoff: from about half the base to the cap, spread, reset', async (t) => {
  const low = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0 })
  const high = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0.999 })
  const lows = Array.from({ length: 10 }, () => low.next())
  const highs = Array.from({ length: 10 }, () => high.next())
  t.same(lows.slice(0, 4), [250, 500, 1000, 2000])
  t.equal(Math.max(...highs), 29_985, 'never beyond the cap')
  t.equal(lows.at(-1), 15_000, 'at the cap, at least half of it')
  low.reset()
  t.equal(low.next(), 250)
  const spread = new Set(Array.from({ length: 1000 }, () => new Backoff({ baseMs: 500, capMs: 30_000 }).next()))
  t.ok(spread.size > 200, `a thousand clients do not retry in lockstep (${spread.size} distinct delays)`)
  t.ok(new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0 }).next(5000) >= 5000, 'Retry-After is a floor')
})

t.test('Retry-After: seconds or an HTTP date', async (t) => {
  t.equal(retryAfterMs('10'), 10_000)
  t.equal(retryAfterMs(new Date(61_000).toUTCString(), 1_000), 60_000)
  t.equal(retryAfterMs('soon'), undefined)
  t.equal(retryAfterMs(null), undefined)
})

t.test('options are checked at construction, naming the bad one', async (t) => {
  t.throws(() => new LlmConfigClient({ url: 'not a url' }), /url must be an absolute http\(s\) URL/)
  t.throws(() => new LlmConfigClient({ url: 'ftp://x' }), /url must be http or https/)
  t.throws(() => new LlmConfigClient({ url: 'http://x', pollIntervalMs: 0 }), /pollIntervalMs must be a positive number/)
  t.throws(() => new LlmConfigClient({ url: 'http://x', token: '' }), /token must be a non-empty string/)
})
