// GET /metrics in Prometheus' text format: per-route request counts and duration histograms
// (fastify-metrics, prom-client), and the gauges other plugins add to `app.metricsRegistry`
// (the database's work in flight, the replica's copy and watchers). METRICS_TOKEN, when set,
// protects the endpoint.
//
// Registered before every other plugin's hooks: fastify-metrics times a request from its own
// onRequest hook, so a request that an earlier hook answers (401/403/429 of auth, the drain's
// and under-pressure's 503) would never be counted.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyPluginCallback } from 'fastify'
import fp from 'fastify-plugin'
import fastifyMetricsModule, { type IMetricsPluginOptions } from 'fastify-metrics'
import { Registry } from 'prom-client'
import { PROBLEM_TYPES, problemResponse, sendProblem } from '../../http/problems.js'
import { bearerToken, tokenDigest as digest } from '../../http/bearer-token.js'
import { unavailableResponse, withHeaders } from '../../http/responses.js'

// fastify-metrics is CommonJS with a default export: under ESM it arrives wrapped.
const fastifyMetrics = ((fastifyMetricsModule as unknown as { default?: unknown }).default ?? fastifyMetricsModule) as FastifyPluginCallback<Partial<IMetricsPluginOptions>>

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's prom-client registry: plugins add their gauges to it. */
    metricsRegistry: Registry
  }
}

export default fp(async function metrics (app: FastifyInstance, options: { token: string | undefined }) {
  // A registry per app, not prom-client's global one: every app built in a process (tests,
  // replicas in one process) reports its own figures.
  const registry = new Registry()
  app.decorate('metricsRegistry', registry)
  await app.register(fastifyMetrics, {
    endpoint: null, // served below, with its own access rule and schema
    defaultMetrics: { enabled: true, register: registry },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      routeBlacklist: ['/metrics'],
      overrides: { histogram: { registers: [registry] }, summary: { registers: [registry] } }
    }
  })

  const expected = options.token === undefined ? undefined : digest(options.token)
  app.get('/metrics', {
    logLevel: 'warn',
    schema: {
      tags: ['health'],
      summary: 'Prometheus metrics',
      description: 'Request counts and durations per route and status, and the service\'s state. Needs METRICS_TOKEN as a bearer token when it is set.',
      operationId: 'getMetrics',
      security: [{}, { metricsToken: [] }], // open unless METRICS_TOKEN is set
      response: {
        200: {
          description: 'Prometheus text format',
          content: {
            'text/plain': {
              schema: { type: 'string' },
              example: '# HELP llm_config_version The configuration version this replica serves from its copy\n# TYPE llm_config_version gauge\nllm_config_version 7\n'
            }
          }
        },
        401: withHeaders(problemResponse('METRICS_TOKEN is set and the request does not carry it', {
          type: PROBLEM_TYPES.unauthorized, title: 'Unauthorized', status: 401, detail: 'GET /metrics needs METRICS_TOKEN as a bearer token.'
        }), { 'www-authenticate': { type: 'string', description: '`Bearer realm="metrics"`' } }),
        503: unavailableResponse('The replica is shutting down or overloaded; see Retry-After', {
          type: PROBLEM_TYPES.unavailable, title: 'Service Unavailable', status: 503, detail: 'This replica is shutting down; retry on another one.'
        })
      }
    }
  }, async (request, reply) => {
    if (expected) {
      const presented = bearerToken(request)
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"')
        return sendProblem(reply, { status: 401, type: PROBLEM_TYPES.unauthorized, title: 'Unauthorized', detail: 'GET /metrics needs METRICS_TOKEN as a bearer token.' })
      }
    }
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'metrics' })
