// GET /metrics in Prometheus' text format: per-route request counts and duration histograms
// (fastify-metrics, prom-client), and the service's own state — the configuration version this
// replica serves, reads served from its copy or from the database, whether LISTEN holds,
// database work in flight, and SSE watchers. METRICS_TOKEN, when set, protects the endpoint.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyPluginCallback } from 'fastify'
import fp from 'fastify-plugin'
import fastifyMetricsModule, { type IMetricsPluginOptions } from 'fastify-metrics'
import { Gauge, Registry, type GaugeConfiguration } from 'prom-client'
import { databaseWorkInFlight } from '../db/deadline.js'
import { problemResponse } from '../llm-config/schemas.js'
import { bearerToken } from './auth.js'
import { PROBLEM_TYPES, sendProblem } from './errors.js'

// fastify-metrics is CommonJS with a default export: under ESM it arrives wrapped.
const fastifyMetrics = ((fastifyMetricsModule as unknown as { default?: unknown }).default ?? fastifyMetricsModule) as FastifyPluginCallback<Partial<IMetricsPluginOptions>>

const digest = (value: string) => createHash('sha256').update(value).digest()

export default fp(async function metrics (app: FastifyInstance, options: { token: string | undefined }) {
  // A registry per app, not prom-client's global one: every app built in a process (tests,
  // replicas in one process) reports its own figures.
  const registry = new Registry()
  const gauge = (configuration: GaugeConfiguration<string>) => new Gauge({ ...configuration, registers: [registry] })
  await app.register(fastifyMetrics, {
    endpoint: null, // served below, with its own access rule and schema
    defaultMetrics: { enabled: true, register: registry },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      routeBlacklist: ['/metrics'],
      overrides: { histogram: { registers: [registry] }, summary: { registers: [registry] } }
    }
  })

  gauge({
    name: 'llm_config_version',
    help: 'The configuration version this replica serves from its copy',
    collect () { this.set(app.live.version) }
  })
  gauge({
    name: 'llm_config_listener_connected',
    help: '1 while the LISTEN connection holds and the copy is trusted, else 0',
    collect () { this.set(app.live.trusted ? 1 : 0) }
  })
  gauge({
    name: 'llm_config_cache_reads',
    help: 'GET /llm-config answered from the replica\'s copy (hit) or from the database (miss), since start',
    labelNames: ['result'],
    collect () {
      this.set({ result: 'hit' }, app.live.reads.hits)
      this.set({ result: 'miss' }, app.live.reads.misses)
    }
  })
  gauge({
    name: 'llm_config_db_work_in_flight',
    help: 'Database operations under way (the query pool holds at most db_pool_max connections)',
    collect () { this.set(databaseWorkInFlight()) }
  })
  gauge({
    name: 'llm_config_db_pool_max',
    help: 'Connections the query pool may open (PostgreSQL); 1 for the embedded database',
    collect () { this.set(app.database.kind === 'postgres' ? 10 : 1) }
  })
  gauge({
    name: 'llm_config_watchers',
    help: 'SSE watchers connected to this replica',
    collect () { this.set(app.live.watchers) }
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
        401: problemResponse('METRICS_TOKEN is set and the request does not carry it', {
          type: PROBLEM_TYPES.unauthorized, title: 'Unauthorized', status: 401, detail: 'GET /metrics needs METRICS_TOKEN as a bearer token.'
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
}, { name: 'metrics', dependencies: ['propagation'] })
