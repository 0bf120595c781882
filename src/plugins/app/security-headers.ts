// Security headers on every answer, from helmet, computed once at start.
//
// Two sets. Swagger UI (/docs) is an HTML application and gets helmet's defaults. Everything
// else is JSON, which no browser renders as a document: it gets the headers OWASP's REST
// Security Cheat Sheet lists for API responses (a CSP that allows nothing and no framing,
// nosniff, HSTS, no referrer, same-origin resources), not the ones that only mean something to
// an HTML page.
//
// Computed once: @fastify/helmet builds helmet's middleware again on every request (parsing
// the CSP directives each time), 17 % of a GET's CPU in a profile (docs/benchmarks.md). With
// these options the headers never depend on the request, so helmet runs once on a recording
// response and each request copies the result.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import { DOCS_PREFIX } from '../external/swagger.js'

const DOCUMENT_HEADERS: HelmetOptions = {
  // upgrade-insecure-requests would make browsers fetch Swagger UI's assets over https from any
  // plain-http address but localhost, leaving /docs blank (compose networks, internal hosts).
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } }
}

const API_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false
}

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

export default fp(async function securityHeadersPlugin (app: FastifyInstance) {
  const documentHeaders = securityHeaders(DOCUMENT_HEADERS)
  const apiHeaders = securityHeaders(API_HEADERS)
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith(DOCS_PREFIX) ? documentHeaders : apiHeaders)
    done()
  })
}, { name: 'security-headers' })
