// helmet's security headers on every answer (API, errors, 404s, Swagger UI), computed once.
// @fastify/helmet builds helmet's middleware again on every request (parsing the CSP
// directives each time): 17 % of a GET's CPU in a profile (docs/benchmarks.md). With our
// options (no CSP nonces) the headers never depend on the request, so helmet runs once at
// start on a recording response and each request copies the result.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/** The headers helmet would set with these options, by lower-case name. */
export function securityHeaders (options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error
  })
  return headers
}

export default fp(async function securityHeadersPlugin (app: FastifyInstance, options: HelmetOptions) {
  const headers = securityHeaders(options)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}, { name: 'security-headers' })
