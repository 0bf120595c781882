// The whole service as one Fastify instance, built the same way for the server and the tests.
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import Fastify, { type FastifyServerOptions, type onRequestAsyncHookHandler } from 'fastify'
import type { Config } from './config.js'
import type { Database } from './db/client.js'
import { createLlmConfigRepository, type LlmConfigRepository } from './llm-config/repository.js'
import historyRoutes from './llm-config/history-routes.js'
import llmConfigRoutes from './llm-config/routes.js'
import verifyRoutes from './llm-config/verify-routes.js'
import { VERIFY_SCHEMAS } from './llm-config/verify/schemas.js'
import watch from './llm-config/watch.js'
import { Credentials, HistoryEntry, HistoryPage, HistoryVersion, LlmConfig, LlmConfigInput, Problem, RestoreRequest } from './llm-config/schemas.js'
import auth from './plugins/auth.js'
import metrics from './plugins/metrics.js'
import database from './plugins/database.js'
import drain from './plugins/drain.js'
import errors, { sendProblem } from './plugins/errors.js'
import health from './plugins/health.js'
import jsonBody from './plugins/json-body.js'
import propagation from './plugins/propagation.js'
import secrets from './plugins/secrets.js'
import securityHeaders from './plugins/security-headers.js'
import swagger from './plugins/swagger.js'
import { FORMATS, buildValidator } from './plugins/validation.js'

declare module 'fastify' {
  interface FastifyInstance {
    llmConfig: LlmConfigRepository
    config: Config
    /** onRequest hook of every route that changes the configuration. */
    writeRateLimit: onRequestAsyncHookHandler
  }
}

export interface BuildOptions {
  /** An already open database instead of opening config.database (tests use migrated snapshots). */
  database?: Database
  /** Where log lines go; stdout by default. Tests capture them to check nothing secret is logged. */
  logStream?: NodeJS.WritableStream
  /** Human-readable log lines (pino-pretty) instead of JSON: the server sets it on a terminal. */
  prettyLogs?: boolean
}

// A client's x-request-id is kept when it is a plain token, so it can be followed across
// services; anything else (too long, odd characters that could forge log lines) gets our own.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
function requestId (request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

export const BODY_LIMIT = 1024 * 1024 // 1 MiB

// No secret reaches a log line: nothing logs these today, and nothing ever should.
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
  'api_key', '*.api_key', 'token', '*.token', 'authorization', '*.authorization'
]

export async function buildApp (config: Config, options: BuildOptions = {}) {
  const logger: FastifyServerOptions['logger'] = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(options.logStream ? { stream: options.logStream } : {}),
    ...(options.prettyLogs ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
  }
  const app = Fastify({
    logger,
    bodyLimit: BODY_LIMIT,
    // Answer 503 to requests that arrive while shutting down, so load balancers move on.
    return503OnClosing: true,
    requestTimeout: 30_000,
    genReqId: requestId,
    requestIdHeader: false, // genReqId decides
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    // fast-json-stringify validates anyOf branches with its own Ajv: teach it our formats too.
    serializerOpts: { ajv: { formats: Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, format.validate])) } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.decorate('config', { getter: () => config })
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })

  for (const schema of [LlmConfig, LlmConfigInput, Credentials, HistoryEntry, HistoryPage, HistoryVersion, RestoreRequest, Problem]) app.addSchema(schema)
  for (const schema of VERIFY_SCHEMAS) app.addSchema(schema)

  await app.register(errors)
  await app.register(jsonBody)
  await app.register(securityHeaders)
  // Closed unless CORS_ORIGINS names the browser origins allowed to call the API; closed, the
  // plugin is not registered at all (its hook would run on every request to say no).
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match'],
      exposedHeaders: ['etag', 'retry-after']
    })
  }
  // Graceful shutdown's drain phase (server.ts): after the security headers and CORS, so its 503s carry them.
  await app.register(drain)
  // Limits on writes (one budget per client address for every write route) and on failed
  // authentications (plugins/auth.ts). Route-level rateLimit configs would each count apart.
  await app.register(rateLimit, { global: false })
  app.decorate('writeRateLimit', app.rateLimit({
    max: config.rateLimits.writesPerMinute, timeWindow: 60_000, keyGenerator: (request) => `writes:${request.ip}`
  }))
  if (config.docsEnabled) await app.register(swagger)
  await app.register(database, { target: config.database, deadlineMs: config.databaseDeadlineMs, database: options.database })
  await app.register(secrets, { config })
  const repository = createLlmConfigRepository(app.database.db, {
    keyring: app.keyring, deadlineMs: config.databaseDeadlineMs, historyRetain: config.historyRetain
  })
  app.decorate('llmConfig', { getter: () => repository })
  await repository.ensureHistoryBaseline()
  if (await repository.rotate({ plaintextOnly: true }) === 'encrypted-plaintext') {
    app.log.warn('The stored API key was plaintext (written before encryption at rest): it is now encrypted.')
  }
  await app.register(propagation)
  await app.register(auth, { tokens: config.tokens, authFailuresPerMinute: config.rateLimits.authFailuresPerMinute, dataDir: config.dataDir })
  // Event-loop delay and heap limits: 503 + Retry-After before the process falls over. Its hook
  // answers /readyz too (not ready while overloaded); /healthz opts out (plugins/health.ts).
  await app.register(underPressure, {
    maxEventLoopDelay: config.pressure.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.pressure.maxHeapUsedBytes,
    retryAfter: 10,
    pressureHandler: async (_request, reply, type) => {
      reply.header('retry-after', '10')
      // Named by the variable that sets the limit (only these two are configured).
      const limit = type === underPressure.TYPE_HEAP_USED_BYTES ? 'heap use above PRESSURE_MAX_HEAP_USED_BYTES' : 'event-loop delay above PRESSURE_MAX_EVENT_LOOP_DELAY_MS'
      await sendProblem(reply, { status: 503, title: 'Service Unavailable', detail: `The service is overloaded (${limit}); retry shortly.` })
    }
  })
  await app.register(metrics, { token: config.metricsToken })
  await app.register(health)
  await app.register(llmConfigRoutes)
  await app.register(historyRoutes)
  await app.register(verifyRoutes)
  await app.register(watch)
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
