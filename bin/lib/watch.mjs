// `llm-config watch`: GET /llm-config/watch (Server-Sent Events) and one printout per version.
// Parsed as the HTML standard says (https://html.spec.whatwg.org/multipage/server-sent-events.html);
// like an EventSource, it reconnects when the stream drops, with Last-Event-ID so no version
// is missed or repeated, after the delay the service asks for (`retry:`).
import { setTimeout as sleep } from 'node:timers/promises'
import { CliError, EXIT } from './errors.mjs'
import { configTable, versionLine } from './format.mjs'

/**
 * Prints versions until `signal` aborts (Ctrl-C). A failure before the first connection, and
 * a refusal (401/403) at any time, throw; a dropped stream or an unreachable service after
 * that is reported on stderr and retried.
 */
export async function watchVersions (client, { json, out, err, signal }) {
  let lastId
  let retryMs = 2000
  let previous
  let connected = false
  let lastNote // a failure repeated while retrying is reported once
  const note = (text) => {
    if (text !== lastNote) err(text)
    lastNote = text
  }
  while (!signal.aborted) {
    let res
    try {
      res = await client.stream('/llm-config/watch', { headers: lastId === undefined ? {} : { 'last-event-id': lastId }, signal })
    } catch (error) {
      if (signal.aborted) return
      if (!connected || !(error instanceof CliError) || error.exitCode !== EXIT.unavailable) throw error
      note(`llm-config: ${error.message}; retrying every ${retryMs / 1000} s`)
      await pause(retryMs, signal)
      continue
    }
    if (connected) note('llm-config: reconnected')
    connected = true
    try {
      for await (const event of events(res.body)) {
        if (event.retry !== undefined) retryMs = event.retry
        if (event.event !== 'config') continue
        const config = parseConfig(event.data)
        if (json) out(event.data)
        else if (previous === undefined) out(`version ${config.version} (current)\n${configTable(config)}`)
        else out(versionLine(config, previous))
        previous = config
        lastId = event.id
      }
    } catch (error) {
      if (signal.aborted) return
      if (error instanceof CliError) throw error
    }
    if (signal.aborted) return
    note(`llm-config: the stream ended; reconnecting in ${retryMs / 1000} s`)
    await pause(retryMs, signal)
  }
}

function parseConfig (data) {
  try {
    const config = JSON.parse(data)
    if (config && typeof config === 'object' && Number.isInteger(config.version)) return config
  } catch {}
  throw new CliError('the event stream sent something that is not a configuration: is --url the llm-config service?', EXIT.unavailable)
}

async function pause (ms, signal) {
  try {
    await sleep(ms, undefined, { signal })
  } catch {} // aborted: the loop sees it
}

/** The stream's events ({ id, event, data }) and retry fields ({ retry }), in order. */
async function * events (body) {
  let buffer = ''
  let lastId
  let pending = { event: '', data: undefined }
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk
    const lines = buffer.split(/\r\n|\r|\n/)
    buffer = lines.pop() ?? '' // an incomplete line waits for the rest
    for (const line of lines) {
      if (line === '') {
        // Dispatch; an event without data is not dispatched.
        if (pending.data !== undefined) yield { id: lastId, event: pending.event || 'message', data: pending.data.join('\n') }
        pending = { event: '', data: undefined }
        continue
      }
      if (line.startsWith(':')) continue // a comment: the heartbeat
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'data') (pending.data ??= []).push(value)
      else if (field === 'event') pending.event = value
      else if (field === 'id' && !value.includes('\0')) lastId = value
      else if (field === 'retry' && /^\d+$/.test(value)) yield { retry: Number(value) }
    }
  }
}
