// Fake LLM provider APIs on loopback, one per API family, answering as the real ones do: the
// model list in the family's shape, the family's refusal of a wrong or missing key (echoing
// the key, worse than the real APIs, so a test sees it if the service passes answers on), and
// on demand 429, an answer past any deadline, a redirect, malformed JSON, an oversized body.
// Each fake records every request it receives, headers included: tests check where the key went.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Family = 'ollama' | 'openai' | 'azure_openai' | 'anthropic' | 'google' | 'cohere'

export type Behaviour =
  | 'normal'
  | 'rate-limited' // 429 with Retry-After
  | 'slow' // headers after 2 s
  | 'slow-body' // headers at once, the body after 2 s
  | 'redirect' // 302 to `redirectTo`
  | 'malformed' // 200, JSON cut short
  | 'wrong-shape' // 200, JSON that is not a model list
  | 'oversized' // 200, 2 MiB of valid JSON, chunked (no Content-Length)
  | 'server-error' // 500

export interface ReceivedRequest { method: string, url: string, headers: IncomingHttpHeaders }

export interface FakeProvider {
  family: Family
  /** The base URL to configure as api_url (with /v1 for the OpenAI family, as its clients expect). */
  url: string
  port: number
  received: ReceivedRequest[]
  behaviour: Behaviour
  /** Where 'redirect' sends the client. */
  redirectTo: string
}

interface FamilySpec {
  /** Prefix of the base URL (api_url) under the server's origin. */
  prefix: string
  /** The model list's path. */
  path: string
  /** The key as presented (undefined: none); null for a family that takes no key. */
  presented: (headers: IncomingHttpHeaders) => string | undefined | null
  /** A refusal for a request that lacks something the API requires, else undefined. */
  malformedRequest?: (headers: IncomingHttpHeaders, query: URLSearchParams) => { status: number, body: unknown } | undefined
  list: (models: string[]) => unknown
  /** The refusal of a wrong (or, undefined, missing) key. */
  refusal: (presented: string | undefined) => { status: number, body: unknown }
}

const bearerOf = (headers: IncomingHttpHeaders) => /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1]
const header = (name: string) => (headers: IncomingHttpHeaders) => {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}
const openaiList = (models: string[]) => ({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' })) })

export const FAMILIES: Record<Family, FamilySpec> = {
  // https://github.com/ollama/ollama/blob/main/docs/api.md#list-local-models (no authentication)
  ollama: {
    prefix: '',
    path: '/api/tags',
    presented: () => null,
    list: (models) => ({
      models: models.map((name) => ({ name, model: name, modified_at: '2024-05-01T10:00:00Z', size: 2176178913, digest: 'sha256:4f2222927938', details: { format: 'gguf', family: 'llama' } }))
    }),
    refusal: () => ({ status: 500, body: {} })
  },
  // https://platform.openai.com/docs/api-reference/models/list
  openai: {
    prefix: '/v1',
    path: '/v1/models',
    presented: bearerOf,
    list: openaiList,
    refusal: (presented) => ({
      status: 401,
      body: {
        error: presented === undefined
          ? { message: 'You didn\'t provide an API key.', type: 'invalid_request_error', param: null, code: null }
          : { message: `Incorrect API key provided: ${presented}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' }
      }
    })
  },
  // https://learn.microsoft.com/en-us/rest/api/azureopenai/models/list
  azure_openai: {
    prefix: '',
    path: '/openai/models',
    presented: header('api-key'),
    malformedRequest: (_headers, query) => query.get('api-version') === null
      ? { status: 404, body: { error: { code: '404', message: 'Resource not found' } } }
      : undefined,
    list: openaiList,
    refusal: (presented) => ({
      status: 401,
      body: { error: { code: '401', message: `Access denied due to invalid subscription key ${presented ?? ''} or wrong API endpoint.` } }
    })
  },
  // https://docs.anthropic.com/en/api/models-list
  anthropic: {
    prefix: '',
    path: '/v1/models',
    presented: header('x-api-key'),
    malformedRequest: (headers) => headers['anthropic-version'] === undefined
      ? { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } } }
      : undefined,
    list: (models) => ({
      data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2024-10-22T00:00:00Z' })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models.at(-1) ?? null
    }),
    refusal: (presented) => ({ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${presented ?? ''}` } } })
  },
  // https://ai.google.dev/api/models#method:-models.list: a wrong key is a 400, a missing one a 403.
  google: {
    prefix: '',
    path: '/v1beta/models',
    presented: header('x-goog-api-key'),
    list: (models) => ({ models: models.map((name) => ({ name: `models/${name}`, version: '001', displayName: name, supportedGenerationMethods: ['generateContent'] })) }),
    refusal: (presented) => presented === undefined
      ? { status: 403, body: { error: { code: 403, message: 'Method doesn\'t allow unregistered callers.', status: 'PERMISSION_DENIED' } } }
      : {
          status: 400,
          body: {
            error: {
              code: 400,
              message: `API key not valid: ${presented}`,
              status: 'INVALID_ARGUMENT',
              details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]
            }
          }
        }
  },
  // https://docs.cohere.com/reference/list-models
  cohere: {
    prefix: '',
    path: '/v1/models',
    presented: bearerOf,
    list: (models) => ({ models: models.map((name) => ({ name, endpoints: ['chat', 'generate'], finetuned: false, context_length: 128000 })) }),
    refusal: (presented) => ({ status: 401, body: { message: `invalid api token ${presented ?? ''}` } })
  }
}

export const DEFAULT_MODELS: Record<Family, string[]> = {
  ollama: ['phi3:latest', 'llama3:latest', 'llama3:70b'],
  openai: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'],
  azure_openai: ['gpt-4o', 'gpt-4o-mini'],
  anthropic: ['claude-3-5-sonnet-20241022', 'claude-3-5-haiku-20241022'],
  google: ['gemini-1.5-flash', 'gemini-1.5-pro'],
  cohere: ['command-r', 'command-r-plus']
}

const SLOW_MS = 2000

interface Teardown { teardown: (fn: () => unknown) => void }

export interface FakeOptions {
  /** The key the fake accepts (families with keys). */
  key?: string
  models?: string[]
  port?: number
  /** Addresses to listen on; the first is the one in `url`. '::1' is skipped where IPv6 is off. */
  hosts?: string[]
}

export async function startFake (t: Teardown, family: Family, options: FakeOptions = {}): Promise<FakeProvider> {
  const spec = FAMILIES[family]
  const models = options.models ?? DEFAULT_MODELS[family]
  const timers = new Set<NodeJS.Timeout>()
  const later = (fn: () => void) => {
    const timer = setTimeout(() => { timers.delete(timer); fn() }, SLOW_MS)
    timers.add(timer)
  }
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body))
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    fake.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    const url = new URL(req.url ?? '/', 'http://fake')
    if (req.method !== 'GET' || url.pathname !== spec.path) return send(res, 404, { error: 'not found' })
    const missing = spec.malformedRequest?.(req.headers, url.searchParams)
    if (missing) return send(res, missing.status, missing.body)
    const presented = spec.presented(req.headers)
    if (presented !== null && presented !== options.key) {
      const refusal = spec.refusal(presented)
      return send(res, refusal.status, refusal.body)
    }
    switch (fake.behaviour) {
      case 'rate-limited': return send(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '20' })
      case 'slow': return later(() => send(res, 200, spec.list(models)))
      case 'slow-body':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{')
        return later(() => res.end(JSON.stringify(spec.list(models)).slice(1)))
      case 'redirect': return send(res, 302, '', { location: fake.redirectTo })
      case 'malformed': return send(res, 200, JSON.stringify(spec.list(models)).slice(0, 20))
      case 'wrong-shape': return send(res, 200, { hello: 'world' })
      case 'oversized': return sendOversized(res)
      case 'server-error': return send(res, 500, { error: 'internal' })
      case 'normal': return send(res, 200, spec.list(models))
    }
  }

  const hosts = options.hosts ?? ['127.0.0.1']
  const servers: Server[] = []
  let port = options.port ?? 0
  for (const host of hosts) {
    const server = createServer(handle)
    try {
      await listen(server, port, host)
    } catch (error) {
      if (host === '::1' && servers.length > 0) continue // no IPv6 loopback here
      throw error
    }
    port = (server.address() as AddressInfo).port // every address on the same port
    servers.push(server)
  }
  const first = hosts[0] === '::1' ? '[::1]' : hosts[0]
  const fake: FakeProvider = {
    family,
    url: `http://${first}:${port}${spec.prefix}`,
    port,
    received: [],
    behaviour: 'normal',
    redirectTo: 'http://elsewhere.invalid/'
  }
  t.teardown(async () => {
    for (const timer of timers) clearTimeout(timer)
    await Promise.all(servers.map((server) => new Promise((resolve) => {
      server.close(resolve)
      server.closeAllConnections()
    })))
  })
  return fake
}

function listen (server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** 2 MiB of one valid model list, written in 64 KiB chunks (Transfer-Encoding: chunked). */
function sendOversized (res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/json' })
  const entry = JSON.stringify({ id: 'x'.repeat(1000), object: 'model' })
  const chunk = Array.from({ length: 64 }, () => entry).join(',')
  res.write('{"data":[')
  let written = 0
  const more = () => {
    while (written < 2 * 1024 * 1024) {
      written += chunk.length
      if (!res.write(`${chunk},`)) return res.once('drain', more)
    }
    res.end(`${entry}]}`)
  }
  res.on('error', () => {}) // the client stops reading: that is the point
  more()
}

/** A port nothing listens on: bound, then released. */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await listen(server, 0, '127.0.0.1')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Every header value a fake received, for checks on where a key went. */
export function receivedHeaderValues (fake: FakeProvider): string {
  return JSON.stringify(fake.received.map((request) => request.headers))
}

/** The headers that carry a key in any family (Authorization, x-api-key, api-key, x-goog-api-key). */
export const KEY_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'] as const

/** The key-carrying headers a fake received, by name, in every request: [] when no key came at all. */
export function receivedKeyHeaders (fake: FakeProvider): string[] {
  return fake.received.flatMap((request) => KEY_HEADERS.filter((name) => request.headers[name] !== undefined))
}
