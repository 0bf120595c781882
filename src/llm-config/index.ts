// The llm_config feature as one plugin: its schemas, the encryption keyring, the repository,
// the replica's live copy, and the routes of each part — the configuration itself (config/),
// its history and restore (history/), the watch stream (watch/) and provider probes (verify/).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createLlmConfigRepository, type LlmConfigRepository } from './config/repository.js'
import configRoutes from './config/routes.js'
import { Credentials, LlmConfig, LlmConfigInput } from './config/schemas.js'
import historyRoutes from './history/routes.js'
import { HistoryEntry, HistoryPage, HistoryVersion, RestoreRequest } from './history/schemas.js'
import secrets from './secrets/plugin.js'
import verifyRoutes from './verify/routes.js'
import { VERIFY_SCHEMAS } from './verify/schemas.js'
import { addLiveGauges } from './watch/metrics.js'
import propagation from './watch/propagation.js'
import watchRoutes from './watch/routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    llmConfig: LlmConfigRepository
  }
}

const SCHEMAS = [LlmConfig, LlmConfigInput, Credentials, HistoryEntry, HistoryPage, HistoryVersion, RestoreRequest, ...VERIFY_SCHEMAS]

export default fp(async function llmConfig (app: FastifyInstance, { config }: { config: Config }) {
  for (const schema of SCHEMAS) app.addSchema(schema)
  await app.register(secrets, { config })
  const repository = createLlmConfigRepository(app.database.db, {
    keyring: app.keyring, deadlineMs: config.databaseDeadlineMs, historyRetain: config.historyRetain
  })
  app.decorate('llmConfig', { getter: () => repository })
  await repository.ensureHistoryBaseline()
  if (await repository.rotate({ plaintextOnly: true }) === 'encrypted-plaintext') {
    app.log.warn('The stored API key was plaintext (written before encryption at rest): it is now encrypted.')
  }
  // Not ready while the stored key does not decrypt with the configured keys (SecretUnavailableError).
  app.addReadinessCheck(() => repository.readApiKey())
  await app.register(propagation)
  addLiveGauges(app)
  await app.register(configRoutes)
  await app.register(historyRoutes)
  await app.register(verifyRoutes)
  await app.register(watchRoutes)
}, { name: 'llm-config', dependencies: ['database', 'health', 'auth', 'write-limits', 'metrics'] })
