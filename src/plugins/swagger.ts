// The OpenAPI 3.1 document (/docs/json, /docs/yaml) generated from the route schemas, and
// Swagger UI at /docs, served from the package's own assets (works offline).
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export default fp(async function docs (app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llm-config-service',
        version: '1.0.0',
        description: 'Owns an application\'s LLM configuration: provider and models per AI task, API key, retries and fallback, batching and concurrency, confidence thresholds.'
      },
      tags: [
        { name: 'llm-config', description: 'The LLM configuration' },
        { name: 'history', description: 'Every version of the configuration: who changed what, and restore' },
        { name: 'health', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token from ADMIN_TOKEN, ADMIN_TOKENS, READER_TOKENS or CONSUMER_TOKENS' } }
      }
    },
    // Name components after their schemas' $id (LlmConfig, Problem, …) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'docs' })
