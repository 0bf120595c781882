// The encryption keyring for the API key (llm-config/secrets.ts, llm-config/keyring.ts).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config.js'
import { loadKeyring } from './keyring.js'
import type { Keyring } from './cipher.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyring: Keyring
  }
}

export default fp(async function secrets (app: FastifyInstance, options: { config: Config }) {
  const keyring = await loadKeyring(options.config, (message) => app.log.warn(message))
  app.decorate('keyring', { getter: () => keyring })
  app.log.info({ keyId: keyring.currentId }, 'encryption key loaded')
}, { name: 'secrets' })
