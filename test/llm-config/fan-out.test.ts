// The watch stream's fan-out (src/llm-config/watch/fan-out.ts) on sockets that record what is
// written to them: one frame per version shared by every watcher, in order, the writer's
// answer first, the event loop free during a large fan-out, gaps left to the catch-up, a
// watcher that stopped reading dropped. The stream as clients see it is test/llm-config/watch.test.ts.
import type { ServerResponse } from 'node:http'
import t from 'tap'
import type { LlmConfig } from '../../src/llm-config/config/schemas.js'
import { FanOut, frame, Watcher } from '../../src/llm-config/watch/fan-out.js'

class RecordingSocket {
  destroyed = false
  writableLength = 0
  readonly written: Buffer[] = []
  write (chunk: Buffer) { this.written.push(chunk); return true }
  destroy () { this.destroyed = true }
}

const watcherOn = (options: { chunked?: boolean } = {}) => {
  const socket = new RecordingSocket()
  const response = { socket, writableEnded: false, chunkedEncoding: options.chunked ?? true, end () { this.writableEnded = true } }
  return { socket, response, watcher: new Watcher(response as unknown as ServerResponse, 'req-1') }
}

const configOf = (version: number) => ({ version }) as LlmConfig

const fanOutWith = () => {
  const caughtUp: Watcher[] = []
  const built: number[] = []
  const errors: unknown[] = []
  const fanOut = new FanOut({
    eventFor: (config) => { built.push(config.version); return frame(`id: ${config.version}\n\n`) },
    catchUp: (watcher) => { caughtUp.push(watcher) },
    onError: (error) => { errors.push(error) }
  })
  return { fanOut, caughtUp, built, errors }
}

t.test('a frame: the event with HTTP/1.1 chunk framing, and without it for HTTP/1.0', async (t) => {
  const event = frame('id: 7\nevent: config\ndata: {}\n\n')
  t.equal(event.plain.toString(), 'id: 7\nevent: config\ndata: {}\n\n')
  t.equal(event.chunked.toString(), `${event.plain.length.toString(16)}\r\nid: 7\nevent: config\ndata: {}\n\n\r\n`)
  const http10 = watcherOn({ chunked: false })
  http10.watcher.write(event)
  t.equal(http10.socket.written[0], event.plain, 'a response without chunked encoding gets the plain bytes')
})

t.test('one version: built once, the same bytes to every watcher one version behind, after the current work', async (t) => {
  const { fanOut, built, caughtUp } = fanOutWith()
  const watchers = Array.from({ length: 3 }, () => watcherOn())
  for (const { watcher } of watchers) { watcher.last = 4; fanOut.watchers.add(watcher) }
  fanOut.publish(configOf(5))
  t.ok(watchers.every(({ socket }) => socket.written.length === 0), 'nothing written inside publish: the write that made the version answers first')
  await fanOut.settled()
  t.strictSame(built, [5], 'the event was built once')
  const first = watchers[0]?.socket.written[0]
  t.ok(watchers.every(({ socket }) => socket.written.length === 1 && socket.written[0] === first), 'every watcher got the same Buffer')
  t.ok(watchers.every(({ watcher }) => watcher.last === 5))
  t.strictSame(caughtUp, [], 'no history read')
})

t.test('versions published together are written in order; a watcher that has a version already gets nothing', async (t) => {
  const { fanOut } = fanOutWith()
  const behind = watcherOn()
  const ahead = watcherOn()
  behind.watcher.last = 1
  ahead.watcher.last = 3
  fanOut.watchers.add(behind.watcher).add(ahead.watcher)
  fanOut.publish(configOf(2))
  fanOut.publish(configOf(3))
  await fanOut.settled()
  t.strictSame(behind.socket.written.map(String), ['7\r\nid: 2\n\n\r\n', '7\r\nid: 3\n\n\r\n'])
  t.strictSame(ahead.socket.written, [])
})

t.test('a gap or a catch-up in progress is left to the catch-up, never written over', async (t) => {
  const { fanOut, caughtUp } = fanOutWith()
  const gap = watcherOn()
  gap.watcher.last = 2
  const busy = watcherOn()
  busy.watcher.last = 4
  busy.watcher.catchingUp = true
  fanOut.watchers.add(gap.watcher).add(busy.watcher)
  fanOut.publish(configOf(5))
  await fanOut.settled()
  t.strictSame(caughtUp, [gap.watcher, busy.watcher])
  t.strictSame([gap.socket.written, busy.socket.written], [[], []])
  t.strictSame([gap.watcher.last, busy.watcher.last], [2, 4], 'their catch-up sends the versions, in order')
})

t.test('a large fan-out lets the event loop run between slices, and reaches every watcher', async (t) => {
  const { fanOut } = fanOutWith()
  const order: string[] = []
  const watchers = Array.from({ length: 2500 }, (_, i) => {
    const w = watcherOn()
    w.watcher.last = 9
    const write = w.socket.write.bind(w.socket)
    w.socket.write = (chunk: Buffer) => { if (i % 1000 === 0 || i === 2499) order.push(`watcher ${i}`); return write(chunk) }
    fanOut.watchers.add(w.watcher)
    return w
  })
  fanOut.publish(configOf(10))
  // Queued after the fan-out started: it runs before the fan-out ends only if the loop yields.
  setImmediate(() => setImmediate(() => order.push('other work')))
  await fanOut.settled()
  t.ok(watchers.every(({ socket }) => socket.written.length === 1), 'all 2,500 written to')
  t.ok(order.indexOf('other work') > 0 && order.indexOf('other work') < order.indexOf('watcher 2499'), `other work ran during the fan-out: ${order.join(', ')}`)
})

t.test('a watcher that stopped reading is dropped rather than buffered without end', async (t) => {
  const { fanOut } = fanOutWith()
  const stalled = watcherOn()
  stalled.watcher.last = 1
  stalled.socket.writableLength = (1 << 20) + 1
  fanOut.watchers.add(stalled.watcher)
  fanOut.publish(configOf(2))
  await fanOut.settled()
  t.ok(stalled.socket.destroyed, 'its socket is destroyed: it reconnects and resumes with Last-Event-ID')
  t.strictSame(stalled.socket.written, [])
})

t.test('a heartbeat reaches every open watcher, and nothing is written to a closed one', async (t) => {
  const { fanOut } = fanOutWith()
  const open = watcherOn()
  const ended = watcherOn()
  ended.response.end()
  const destroyed = watcherOn()
  destroyed.socket.destroy()
  fanOut.watchers.add(open.watcher).add(ended.watcher).add(destroyed.watcher)
  await fanOut.beat()
  t.strictSame(open.socket.written.map(String), ['d\r\n: heartbeat\n\n\r\n'])
  t.strictSame([ended.socket.written, destroyed.socket.written], [[], []])
})

t.test('a fan-out that throws is reported, and the next version is delivered', async (t) => {
  const errors: unknown[] = []
  let fail = true
  const fanOut = new FanOut({
    eventFor: (config) => { if (fail) throw new Error('serialiser defect'); return frame(`id: ${config.version}\n\n`) },
    catchUp: () => {},
    onError: (error) => { errors.push(error) }
  })
  const { watcher, socket } = watcherOn()
  watcher.last = 1
  fanOut.watchers.add(watcher)
  fanOut.publish(configOf(2))
  await fanOut.settled()
  t.match(errors, [{ message: 'serialiser defect' }])
  fail = false
  watcher.last = 2
  fanOut.publish(configOf(3))
  await fanOut.settled()
  t.strictSame(socket.written.map(String), ['7\r\nid: 3\n\n\r\n'])
})
