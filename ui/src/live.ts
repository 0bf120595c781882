// Follows GET /llm-config/watch (Server-Sent Events). EventSource cannot send an
// Authorization header, and the token must never go in a URL, so this reads the stream with
// fetch and parses the events itself (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
// It reconnects after the server's `retry:` delay with Last-Event-ID, so no version is missed.
import { headersFor } from './api.js'

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed'

export interface LiveOptions {
  token: string | null
  onConfig: (config: Record<string, unknown> & { version: number }) => void
  onStatus: (status: LiveStatus) => void
  /** A 401/403: the stream stops, the page should ask for a token. */
  onRefused?: (status: number) => void
}

export function follow ({ token, onConfig, onStatus, onRefused }: LiveOptions): () => void {
  const abort = new AbortController()
  let lastId: string | null = null
  let retryMs = 2000
  let timer: ReturnType<typeof setTimeout> | undefined

  const connect = async () => {
    try {
      const response = await fetch('/llm-config/watch', {
        headers: headersFor(token, { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }),
        credentials: 'omit',
        cache: 'no-store',
        signal: abort.signal
      })
      if (response.status === 401 || response.status === 403) {
        onStatus('closed')
        onRefused?.(response.status)
        return
      }
      if (!response.ok || !response.body) throw new Error(`watch answered ${response.status}`)
      onStatus('live')
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end: number
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
          dispatch(block)
        }
      }
    } catch {
      if (abort.signal.aborted) return
    }
    if (abort.signal.aborted) return
    onStatus('reconnecting')
    timer = setTimeout(connect, retryMs)
  }

  const dispatch = (block: string) => {
    let event = 'message'
    let data = ''
    let id: string | null = null
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue // a comment: the heartbeat
      const colon = line.indexOf(':')
      const name = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (name === 'event') event = value
      else if (name === 'data') data += (data ? '\n' : '') + value
      else if (name === 'id') id = value
      else if (name === 'retry' && /^\d+$/.test(value)) retryMs = Number(value)
    }
    if (id !== null) lastId = id
    if (event === 'config' && data) onConfig(JSON.parse(data))
  }

  onStatus('connecting')
  connect().catch(() => {})
  return () => {
    abort.abort()
    clearTimeout(timer)
    onStatus('closed')
  }
}
