// The whole service as one Fastify instance, built the same way for the server and the tests.
import Fastify, { type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import type { Database } from './db/client.js'
import llmConfigRoutes from './llm-config/routes.js'
import { LlmConfig, LlmConfigInput, Problem } from './llm-config/schemas.js'
import auth from './plugins/auth.js'
import database from './plugins/database.js'
import errors from './plugins/errors.js'
import health from './plugins/health.js'
import jsonBody from './plugins/json-body.js'
import swagger from './plugins/swagger.js'
import { FORMATS, buildValidator } from './plugins/validation.js'

export interface BuildOptions {
  /** An already open database instead of opening config.database (tests use migrated snapshots). */
  database?: Database
  /** Where log lines go; stdout by default. Tests capture them to check nothing secret is logged. */
  logStream?: NodeJS.WritableStream
}

export const BODY_LIMIT = 1024 * 1024 // 1 MiB

export async function buildApp (config: Config, options: BuildOptions = {}) {
  const logger: FastifyServerOptions['logger'] = {
    level: config.logLevel,
    // Belt and braces: nothing logs these today, and nothing ever should.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.api_key', 'api_key'], censor: '[redacted]' },
    ...(options.logStream ? { stream: options.logStream } : {})
  }
  const app = Fastify({
    logger,
    bodyLimit: BODY_LIMIT,
    // Answer 503 to requests that arrive while shutting down, so load balancers move on.
    return503OnClosing: true,
    requestTimeout: 30_000,
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    // fast-json-stringify validates anyOf branches with its own Ajv: teach it our formats too.
    serializerOpts: { ajv: { formats: Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, format.validate])) } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  for (const schema of [LlmConfig, LlmConfigInput, Problem]) app.addSchema(schema)

  await app.register(errors)
  await app.register(jsonBody)
  await app.register(swagger)
  await app.register(database, { target: config.database, database: options.database })
  await app.register(auth, { adminToken: config.adminToken })
  await app.register(health)
  await app.register(llmConfigRoutes)
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
