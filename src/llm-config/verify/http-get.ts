// One GET to a provider, and whether it left. node:http(s) rather than fetch, because fetch
// cannot say whether a request was sent: key_sent must be true only when a request carrying
// the key left, not when DNS, a refused connection or a failed TLS handshake stopped it first.
// `departure.left` turns true once the connection is up (for https: the handshake done too;
// before it the headers are only buffered, and a failed handshake never sends them) and the
// request was handed to it, or once an answer came. Each probe opens its own connection
// (agent: false): nothing is pooled between hosts. http.request never follows a redirect.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { ProbeFailure } from './probe-failure.js'

export interface Departure { left: boolean }

export function get (url: URL, headers: Record<string, string>, signal: AbortSignal, departure: Departure): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const tls = url.protocol === 'https:'
    let connected = false // TCP, and TLS for https
    let handedOver = false // 'finish': the request was written to the connection
    let tcp = false
    const mark = () => { if (connected && handedOver) departure.left = true }
    const request = (tls ? httpsRequest : httpRequest)(url, { method: 'GET', headers, agent: false, signal })
    request.on('socket', (socket) => {
      socket.once('connect', () => {
        tcp = true
        if (!tls) { connected = true; mark() }
      })
      if (tls) socket.once('secureConnect', () => { connected = true; mark() })
    })
    request.on('finish', () => { handedOver = true; mark() })
    request.on('response', (response) => {
      departure.left = true
      resolve(response)
    })
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A handshake that fails on a plain-HTTP server ends as EPROTO on write: say TLS.
      if (tls && tcp && !connected && !signal.aborted && !(error instanceof ProbeFailure)) {
        reject(new ProbeFailure('tls', `the TLS handshake failed (${error.code ?? 'unknown'})`))
      } else reject(error)
    })
    request.end()
  })
}
