// A loopback HTTP proxy in front of the service that records every request it passes (method,
// path, status), and can buffer answers as some proxies do: hold the body until it ends
// (nginx's proxy_buffering: the head goes at once), or the whole response. An event stream,
// which never ends, is then never delivered.
import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Teardown { teardown: (fn: () => unknown) => void }

export interface Passed { method: string, path: string, status: number | undefined, headers: IncomingHttpHeaders }

export interface Proxy {
  url: string
  passed: Passed[]
  /** The requests whose path starts with `prefix` (all of them without one). */
  count: (prefix?: string, status?: number) => number
  /** Paths (prefixes) answered 503 with Retry-After: 1 here instead of passed on; change it at will. */
  refusing: Set<string>
}

export async function startProxy (t: Teardown, target: string, { buffer }: { buffer?: 'body' | 'response' } = {}): Promise<Proxy> {
  const passed: Passed[] = []
  const refusing = new Set<string>()
  const upstream = new URL(target)
  const server = createServer((incoming, outgoing) => {
    const record: Passed = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', status: undefined, headers: incoming.headers }
    passed.push(record)
    if ([...refusing].some((prefix) => record.path.startsWith(prefix))) {
      record.status = 503
      outgoing.writeHead(503, { 'retry-after': '1', 'content-type': 'application/problem+json' })
      outgoing.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'refused by the test proxy' }))
      return
    }
    const forward = request({
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, host: upstream.host },
      agent: false
    }, (response) => {
      record.status = response.statusCode
      if (buffer !== 'response') outgoing.writeHead(response.statusCode ?? 502, response.headers)
      if (buffer === undefined) {
        response.pipe(outgoing)
        return
      }
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        if (buffer === 'response') outgoing.writeHead(response.statusCode ?? 502, response.headers)
        outgoing.end(Buffer.concat(chunks))
      })
    })
    forward.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502)
      outgoing.end()
    })
    // The client went away: so does the request upstream (the held stream, say).
    outgoing.on('close', () => forward.destroy())
    incoming.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    passed,
    refusing,
    count: (prefix = '', status) => passed.filter((p) => p.path.startsWith(prefix) && (status === undefined || p.status === status)).length
  }
}
