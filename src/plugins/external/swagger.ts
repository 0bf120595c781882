// The OpenAPI 3.1 document (/docs/json, /docs/yaml) generated from the route schemas, and
// Swagger UI at /docs, served from the package's own assets (works offline). The document is
// also committed as openapi.json (npm run openapi) and linted with Spectral and Redocly
// (npm run lint:openapi): fix findings here and in the route declarations, not in the rulesets.
import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

// The document versions the API as the package does: one number for a release of both.
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Where Swagger UI and the document are served. */
export const DOCS_PREFIX = '/docs'

interface Operation { requestBody?: { required?: boolean, content?: Record<string, { schema?: { anyOf?: Array<{ type?: unknown }> } }> } }

/**
 * @fastify/swagger marks every request body required. A body schema that also accepts null
 * (POST /llm-config/verify) means the body may be left out: say so.
 */
function optionalNullableBodies<T extends { paths?: unknown }> (document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>
  for (const { requestBody } of Object.values(paths).flatMap((methods) => Object.values(methods))) {
    const media = Object.values(requestBody?.content ?? {})
    if (requestBody && media.length > 0 && media.every((type) => type.schema?.anyOf?.some((branch) => branch.type === 'null'))) {
      requestBody.required = false
    }
  }
  return document
}

export default fp(async function docs (app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llm-config-service',
        version: PACKAGE_VERSION,
        description: 'Owns an application\'s LLM configuration: provider and models per AI task, API key, retries and fallback, batching and concurrency, confidence thresholds.',
        contact: { name: 'llm-config-service maintainers' },
        // package.json is "private" and grants no licence. An SPDX LicenseRef- names a licence outside the SPDX list.
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' }
      },
      // Relative: requests (Swagger UI's "Try it out" among them) go to the host that serves this document.
      servers: [{ url: '/', description: 'This service' }],
      tags: [
        { name: 'llm-config', description: 'The LLM configuration: read, write, watch, verify against the provider, reveal the key' },
        { name: 'history', description: 'Every version of the configuration: who changed what, and restore' },
        { name: 'health', description: 'Liveness, readiness and metrics, for orchestrators, load balancers and monitoring' },
        { name: 'auth', description: 'Who the calling token is' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token from ADMIN_TOKEN, ADMIN_TOKENS, READER_TOKENS or CONSUMER_TOKENS' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' }
        }
      }
    },
    // Name components after their schemas' $id (LlmConfig, Problem, …) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => optionalNullableBodies('openapiObject' in document ? document.openapiObject : document.swaggerObject)
  })
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX })
}, { name: 'docs' })
