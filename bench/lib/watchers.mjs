// The fan-out's load generator: many SSE watchers of GET /llm-config/watch in this one
// process, each on a raw TCP socket. The load generator's own time is part of what the
// fan-out measures (a watcher's time is when its bytes were read here), so it does as little
// as it can per read: no HTTP parser, no decoding, no copy of the event. It looks for the
// `id:` lines, which carry the version. JSON escapes newlines, so "\nid: " can only start an
// event's id line (after the chunk-size line of the chunked framing, or after the previous
// field); a line cut between two reads is found from the carry of the previous read's end.
import { connect } from 'node:net'

const ID = Buffer.from('\nid: ')
/** The longest id line ("\nid: " and 15 digits) fits in the carry. */
const CARRY = 24

/**
 * @typedef {object} Watcher
 * @property {number} version   the last version received (0: none yet)
 * @property {number} at        performance.now() when that version's bytes were read
 * @property {boolean} open
 * @property {() => void} close
 */

/** The versions whose id line ends in `chunk` (after `carry`, the previous read's last bytes). */
function versionsIn (carry, chunk, found) {
  const data = carry.length ? Buffer.concat([carry, chunk]) : chunk
  let from = 0
  let at
  while ((at = data.indexOf(ID, from)) !== -1) {
    const end = data.indexOf(10, at + ID.length)
    if (end === -1) break // the rest of the line comes with the next read
    from = end
    if (end < carry.length) continue // found in the previous read already
    found.push(Number(data.latin1Slice(at + ID.length, end)))
  }
  return data.subarray(Math.max(0, data.length - CARRY))
}

/**
 * A pool of watchers on one server.
 * @param {string} url   the server's base URL
 */
export function watcherPool (url) {
  const { hostname, port } = new URL(url)
  /** @type {Watcher[]} */
  const watchers = []
  const failures = { connect: 0, status: {}, closed: 0, lastError: '' }
  /** The wait for every watcher to reach a version, if one is on. */
  let waiting
  let behind = 0 // watchers below `waiting.version`
  const request = Buffer.from(`GET /llm-config/watch HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`)

  /** Opens one watcher; resolves once its first event (the current state) has arrived. */
  const open = () => new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), noDelay: true })
    const watcher = { version: 0, at: 0, open: true, close: () => socket.destroy() }
    let carry = Buffer.alloc(0)
    let head = true
    const found = []
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      const now = performance.now()
      if (head) {
        // The status line comes first, in the first read.
        head = false
        const status = Number(chunk.latin1Slice(9, 12))
        if (status !== 200) {
          failures.status[status] = (failures.status[status] ?? 0) + 1
          watcher.open = false
          socket.destroy()
          return reject(new Error(`GET /llm-config/watch answered ${status}`))
        }
        watchers.push(watcher)
      }
      found.length = 0
      carry = versionsIn(carry, chunk, found)
      for (const version of found) {
        if (waiting && watcher.version < waiting.version && version >= waiting.version && --behind === 0) {
          const done = waiting.resolve
          waiting = undefined
          done()
        }
        if (watcher.version === 0) resolve(watcher)
        watcher.version = version
        watcher.at = now
      }
    })
    socket.on('error', (error) => {
      failures.lastError = error.message
      if (watcher.version === 0 && watcher.open) {
        failures.connect++
        reject(error)
      }
    })
    socket.on('close', () => {
      if (watcher.open) failures.closed++
      watcher.open = false
      if (watcher.version === 0) reject(new Error(`the watch stream closed before its first event${failures.lastError ? `: ${failures.lastError}` : ''}`))
    })
    watcher.close = () => {
      watcher.open = false
      socket.destroy()
    }
  })

  return {
    watchers,
    failures,
    get size () { return watchers.filter((w) => w.open).length },
    /**
     * Opens `count` more watchers, `concurrency` connecting at a time (the server's listen
     * backlog is 511), each waited for until it has the current state.
     */
    async add (count, concurrency = 200) {
      let left = count
      const lane = async () => {
        while (left > 0) {
          left--
          // A busy replica may shed a connection (503, under-pressure): wait and try again, counted.
          for (let attempt = 1; ; attempt++) {
            try {
              await open()
              break
            } catch (error) {
              if (attempt === 20) throw error
              await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
            }
          }
        }
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane))
    },
    /** Resolves when every open watcher has `version` or a newer one, or after `timeoutMs`; returns whether all did. */
    until (version, timeoutMs) {
      behind = watchers.filter((w) => w.open && w.version < version).length
      if (behind === 0) return Promise.resolve(true)
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting = undefined
          resolve(false)
        }, timeoutMs)
        waiting = { version, resolve: () => { clearTimeout(timer); resolve(true) } }
      })
    },
    close () {
      for (const watcher of watchers) watcher.close()
    }
  }
}
