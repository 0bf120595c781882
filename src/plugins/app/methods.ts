// Which methods each path supports, known from the routes as they are declared (onRoute), so
// that a method a resource does not support answers 405 with an Allow header instead of 404
// (RFC 9110 §15.5.6), and OPTIONS answers 204 with Allow (§9.3.7). A CORS preflight
// (plugins/external/cors.ts, when CORS_ORIGINS is set) is left to @fastify/cors.
// Registered before every other plugin, so that it sees every route (/metrics included).
// fastify-metrics counts registered routes only (not 404s): these answers are not counted either.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { sendProblem } from '../../http/problems.js'

interface Resource { pattern: RegExp, methods: Set<string> }

/** A route's URL as a regular expression: `:param` matches one segment, `*` the rest. */
function patternOf (url: string): RegExp {
  const segments = url.split('/').map((segment) => {
    if (segment === '*') return '.*'
    if (segment.includes(':')) return '[^/]+'
    return segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
  })
  return new RegExp(`^${segments.join('/')}$`)
}

const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? request.url
const isPreflight = (request: FastifyRequest) => request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined

export default fp(async function methods (app: FastifyInstance) {
  const resources = new Map<string, Resource>()

  app.addHook('onRoute', (route: RouteOptions) => {
    // A catch-all (CORS's `OPTIONS *`) is no resource of its own.
    if (route.url === '*' || route.url === '/*') return
    const resource = resources.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>(['OPTIONS']) }
    resources.set(route.url, resource)
    for (const method of [route.method].flat()) {
      resource.methods.add(method)
      if (method === 'GET' && route.exposeHeadRoute !== false) resource.methods.add('HEAD')
    }
  })

  /** The methods the path supports, or undefined when no route has that path. */
  const allowed = (path: string): string[] | undefined => {
    const methods = new Set<string>()
    for (const resource of resources.values()) {
      if (resource.pattern.test(path)) for (const method of resource.methods) methods.add(method)
    }
    return methods.size === 0 ? undefined : [...methods].sort() // one order, whatever the routes' order
  }

  // OPTIONS in onRequest, before @fastify/cors's hook would refuse one that is not a preflight
  // (a preflight it answers itself). A callback hook that returns at once for other requests.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'OPTIONS' || (isPreflight(request) && !request.is404)) return done()
    const methods = allowed(pathOf(request))
    if (methods === undefined) return done() // no such path: 404
    reply.header('allow', methods.join(', ')).code(204).send()
  })

  // 405 after every onRequest hook (CORS headers, the drain, under-pressure), as the 404 it replaces.
  app.addHook('preHandler', (request, reply, done) => {
    if (!request.is404) return done()
    const path = pathOf(request)
    const methods = allowed(path)
    if (methods === undefined) return done() // no such path: 404
    reply.header('allow', methods.join(', '))
    sendProblem(reply, {
      status: 405,
      title: 'Method Not Allowed',
      detail: `${path} does not support ${request.method}; it allows ${methods.join(', ')}.`
    })
  })
}, { name: 'methods' })
