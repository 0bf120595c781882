// The whole service as one Fastify instance, built the same way for the server and the tests:
// the ecosystem's plugins configured (plugins/external), ours (plugins/app), then the feature.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import Fastify, { type FastifyServerOptions } from 'fastify'
import adminConsole from './admin-console/admin-console.js'
import { builtFiles } from './admin-console/built-files.js'
import type { Config } from './config.js'
import type { Database } from './db/client.js'
import { Problem } from './http/problems.js'
import { FORMATS } from './llm-config/config/formats.js'
import llmConfig from './llm-config/index.js'
import auth from './plugins/app/auth.js'
import database from './plugins/app/database.js'
import drain from './plugins/app/drain.js'
import errors from './plugins/app/errors.js'
import health from './plugins/app/health.js'
import jsonBody from './plugins/app/json-body.js'
import methods from './plugins/app/methods.js'
import securityHeaders from './plugins/app/security-headers.js'
import whoami from './plugins/app/whoami.js'
import { validatorFactory } from './plugins/app/validation.js'
import cors from './plugins/external/cors.js'
import metrics from './plugins/external/metrics.js'
import underPressure from './plugins/external/under-pressure.js'
import writeLimits from './plugins/external/rate-limit.js'
import swagger from './plugins/external/swagger.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
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
const REDACTED_PATHS = [
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
    // A first start of the embedded database (initdb, migrations) on a busy machine takes more
    // than Fastify's default 10 s per plugin.
    pluginTimeout: 60_000,
    genReqId: requestId,
    requestIdHeader: false, // genReqId decides
    schemaController: { compilersFactory: { buildValidator: validatorFactory(FORMATS) as never } },
    // fast-json-stringify validates anyOf branches with its own Ajv: teach it our formats too.
    serializerOpts: { ajv: { formats: Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, format.validate])) } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.decorate('config', { getter: () => config })
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })

  app.addSchema(Problem)

  await app.register(methods) // before any route is declared: it learns the methods of each path
  // Before any route too, so that the document has them all (/metrics included).
  if (config.docsEnabled) await app.register(swagger)
  // First, so that every answer is counted, those of the hooks below included.
  await app.register(metrics, { token: config.metricsToken })
  await app.register(errors, { formats: FORMATS })
  await app.register(jsonBody)
  await app.register(securityHeaders)
  if (config.corsOrigins.length > 0) await app.register(cors, { origins: config.corsOrigins })
  // Graceful shutdown's drain phase (server.ts): after the security headers and CORS, so its 503s carry them.
  await app.register(drain)
  await app.register(writeLimits, { writesPerMinute: config.rateLimits.writesPerMinute })
  await app.register(database, { target: config.database, deadlineMs: config.databaseDeadlineMs, database: options.database })
  await app.register(auth, { tokens: config.tokens, authFailuresPerMinute: config.rateLimits.authFailuresPerMinute, dataDir: config.dataDir })
  await app.register(underPressure, config.pressure)
  await app.register(health)
  await app.register(whoami)
  await app.register(llmConfig, { config })
  if (config.adminUiEnabled) await app.register(adminConsole, { root: builtFiles() })
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
