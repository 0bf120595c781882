// The JSON body parser for application/json and application/merge-patch+json (RFC 7396).
// Fastify's own parser reports every failure as "not valid JSON"; this one says which rule
// was broken, and never quotes the input (V8's syntax errors do, and the input can hold the key).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import secureJson from 'secure-json-parse'

function clientError (message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400, code: 'ERR_INVALID_JSON_BODY' })
}

function parseJsonBody (text: string): unknown {
  // No body at all (a DELETE sent with a JSON content type): the route's schema decides.
  if (text.trim() === '') return undefined
  try {
    // __proto__ and constructor.prototype keys are refused, not dropped (prototype poisoning).
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (error) {
    throw clientError(/forbidden prototype/.test((error as Error).message)
      ? 'The body contains a forbidden key (__proto__ or constructor.prototype).'
      : 'The body is not valid JSON.')
  }
}

export default fp(async function jsonBody (app: FastifyInstance) {
  // Only JSON bodies: text/plain would otherwise be accepted and handed to validation.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/merge-patch+json'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
}, { name: 'json-body' })
