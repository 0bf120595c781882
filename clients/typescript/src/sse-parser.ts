// An incremental Server-Sent Events parser, as the HTML standard interprets an event stream
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// fed decoded text in arbitrary chunks, it returns the events completed by each chunk.

export interface SseEvent {
  /** The last event id seen on the stream (ids persist across events, as the standard says). */
  id: string | undefined
  event: string
  data: string
}

export class SseParser {
  private buffer = ''
  private lastId: string | undefined
  private id: string | undefined
  private event = ''
  private data: string[] | undefined
  /** A lone \r at the end of a chunk may be half of a \r\n. */
  private pendingCr = false

  push (chunk: string): SseEvent[] {
    let text = chunk
    if (this.pendingCr) {
      if (text.startsWith('\n')) text = text.slice(1)
      this.pendingCr = false
    }
    this.buffer += text
    const lines = this.buffer.split(/\r\n|\r|\n/)
    this.buffer = lines.pop() ?? ''
    if (this.buffer === '' && text.endsWith('\r')) this.pendingCr = true
    const events: SseEvent[] = []
    for (const line of lines) {
      const event = this.line(line)
      if (event !== undefined) events.push(event)
    }
    return events
  }

  private line (line: string): SseEvent | undefined {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return undefined // a comment: the heartbeat
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') (this.data ??= []).push(value)
    else if (field === 'event') this.event = value
    else if (field === 'id' && !value.includes('\0')) this.id = value
    return undefined
  }

  private dispatch (): SseEvent | undefined {
    if (this.id !== undefined) this.lastId = this.id
    const data = this.data
    const event = this.event || 'message'
    this.id = undefined
    this.event = ''
    this.data = undefined
    // An event without data is not dispatched; its id still counts.
    return data === undefined ? undefined : { id: this.lastId, event, data: data.join('\n') }
  }
}
