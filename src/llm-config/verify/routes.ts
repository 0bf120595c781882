// POST /llm-config/verify: probes the provider(s) with the stored configuration, or with unsaved
// values given in the body merged over it, and reports what they said. Nothing is written. A
// body's api_key is used for this call only: never stored, logged or returned. The stored key
// goes only to the stored configuration's own host (targets.ts): a body that names another host
// probes it with the body's key, or none. The log gets provider, host, status and error class
// per target, nothing else.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { checkRules } from '../config/rules.js'
import { LlmConfigInput, SETTING_NAMES, type LlmConfig } from '../config/schemas.js'
import { PROBLEM_EXAMPLES as examples, problemResponse as problem } from '../../http/problems.js'
import { accessResponses, bodyResponses, failureResponses } from '../../http/responses.js'
import { ref } from '../../http/schema.js'
import { verifyConfiguration } from './report.js'
import { VerifyReport } from './schemas.js'
import type { ProbeKey } from './targets.js'
import { sendWriteResult } from '../config/write-result.js'

/** The configuration as it would be after `input` (a partial one), without writing it. */
function merged (stored: LlmConfig, input: LlmConfigInput): LlmConfig {
  const given = SETTING_NAMES.filter((name) => input[name] !== undefined).map((name) => [name, input[name]])
  return { ...stored, ...Object.fromEntries(given) }
}

const verifyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { timeoutMs, allowPrivate, perMinute } = app.config.verify
  // Its own budget: each call makes outbound requests, which writes do not.
  const verifyRateLimit = app.rateLimit({ max: perMinute, timeWindow: 60_000, keyGenerator: (request) => `verify:${request.ip}` })

  app.post('/llm-config/verify', {
    config: { access: 'write' },
    onRequest: verifyRateLimit,
    schema: {
      tags: ['llm-config'],
      summary: 'Check the configuration against the provider',
      description: 'Asks the provider (and the backup provider) for its model list, with the stored configuration or with the ' +
        'settings given in the body merged over it. The body is optional. An api_key in the body is used for this call only. ' +
        'Without one, the stored key goes only to the stored configuration\'s own host (its api_url\'s origin, or its provider\'s ' +
        'default): a body that sends the probe to another host probes it without a key, and the target\'s key_withheld says why. ' +
        'Nothing is stored. Each probe has a deadline of VERIFY_TIMEOUT_MS; public providers are never probed at private addresses ' +
        'unless VERIFY_ALLOW_PRIVATE is set; redirects are not followed.',
      operationId: 'verifyLlmConfig',
      security: [{ bearerAuth: [] }],
      consumes: ['application/json'],
      // No body (or null) verifies the stored configuration as it is.
      // The example: a model tried with the stored key before it is saved ("Try it out" sends no made-up key to a provider).
      body: Type.Union([ref(LlmConfigInput), Type.Null()], { examples: [{ model_responder: 'gpt-4o' }] }),
      response: {
        200: { ...ref(VerifyReport), description: 'What the providers answered (ok tells whether all is well); nothing was stored' },
        ...bodyResponses,
        400: problem('Malformed JSON, a forbidden key, or a body that does not match LlmConfigInput', examples.invalidBody),
        ...accessResponses('write'),
        422: problem('The resulting configuration breaks a rule (backup_model needs a backup_provider)', examples.ruleViolation),
        429: problem('Too many verifications (VERIFY_RATE_LIMIT) or failed authentications from this address; see Retry-After', examples.rateLimited),
        ...failureResponses,
        500: problem('The stored key cannot be decrypted with the configured encryption keys, or an unexpected error', examples.keyUnavailable)
      }
    }
  }, async (request, reply) => {
    const input = request.body ?? {}
    const stored = (await app.llmConfig.read()).config
    const config = merged(stored, input)
    const violations = checkRules(config)
    if (violations.length > 0) return sendWriteResult(app, request, reply, { outcome: 'rule-violation', violations })
    const key: ProbeKey = input.api_key !== undefined
      ? { source: 'request', value: input.api_key }
      : { source: 'stored', value: await app.llmConfig.readApiKey(), of: { provider: stored.provider, api_url: stored.api_url } }
    const report = await verifyConfiguration(config, key, { timeoutMs, allowPrivate })
    for (const target of report.targets) {
      request.log.info({ role: target.role, provider: target.provider, host: target.url && new URL(target.url).host, status: target.status, error: target.error }, 'provider probed')
    }
    request.log.info({ actor: request.principal.name, ok: report.ok }, 'configuration verified')
    return report
  })
}

export default verifyRoutes
