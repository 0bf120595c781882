// Who may do what. Bearer tokens, each with a name and a role (config.ts); a route declares
// the access it needs in `config.access`, and one onRequest hook decides, before the body is
// read. admin: read, write, reveal. reader: read. consumer: read and reveal. Reads are open
// until a reader token is configured.
//
// Tokens are compared as SHA-256 digests with timingSafeEqual against every configured token
// (no early exit): the time does not depend on which token matched, nor on the length of an
// unknown one. Failed authentications are rate-limited per client address.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bearerToken, tokenDigest as digest } from '../../http/bearer-token.js'
import fp from 'fastify-plugin'
import type { Role, TokenEntry } from '../../config.js'
import { PROBLEM_TYPES, sendProblem } from '../../http/problems.js'

export type Access = 'public' | 'read' | 'write' | 'reveal'

export interface Principal { name: string, role: Role | 'anonymous' }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a route needs: public (no token), read, write or reveal. Default public. */
    access?: Access
  }
  interface FastifyRequest {
    /** Who made the request: a token's name and role, or anonymous. */
    principal: Principal
  }
}

export const RIGHTS: Record<Role, ReadonlySet<Access>> = {
  admin: new Set(['read', 'write', 'reveal']),
  reader: new Set(['read']),
  consumer: new Set(['read', 'reveal'])
}

const ANONYMOUS: Principal = { name: 'anonymous', role: 'anonymous' }
export const GENERATED_TOKEN_FILE = 'admin-token'
const MAX_BLOCKED_ADDRESSES = 10_000

export interface AuthOptions {
  tokens: TokenEntry[]
  authFailuresPerMinute: number
  /** Where a generated admin token is written when no token is configured. */
  dataDir: string
}

export default fp(async function auth (app: FastifyInstance, options: AuthOptions) {
  const tokens = options.tokens.length > 0 ? options.tokens : [await generateAdminToken(app, options.dataDir)]
  // Keep digests only: the token strings are not needed after start.
  const known = tokens.map(({ name, role, token }) => ({ name, role, digest: digest(token) }))
  const readsOpen = !tokens.some((entry) => entry.role === 'reader')

  const identify = (presented: string): Principal | undefined => {
    const presentedDigest = digest(presented)
    let found: Principal | undefined
    for (const entry of known) {
      if (timingSafeEqual(presentedDigest, entry.digest)) found = { name: entry.name, role: entry.role }
    }
    return found
  }

  // @fastify/rate-limit counts the failures; addresses over the limit are refused before any
  // token is compared, so guessing stops paying off for the rest of the window.
  const countFailure = app.createRateLimit({ max: options.authFailuresPerMinute, timeWindow: 60_000, keyGenerator: (request) => `auth-failure:${request.ip}` })
  const blockedUntil = new Map<string, number>()

  const tooManyFailures = (reply: FastifyReply, until: number) => {
    reply.header('retry-after', String(Math.max(1, Math.ceil((until - Date.now()) / 1000))))
    return sendProblem(reply, { status: 429, detail: 'Too many failed authentications from this address; retry later.' })
  }

  app.decorateRequest('principal', { getter: () => ANONYMOUS })

  // A callback hook: the requests that need no token (public routes, open reads) pass without
  // the promise of an async hook; the others are authenticated below.
  app.addHook('onRequest', (request, reply, done) => {
    const access = request.routeOptions.config.access ?? 'public'
    if (access === 'public') return done()
    const presented = bearerToken(request)
    if (presented === undefined && access === 'read' && readsOpen) return done()
    // An answer (401/403/429) ends the request: the hook then must not call done().
    authenticate(request, reply, access, presented).then(() => { if (!reply.sent) done() }, done)
  })

  const authenticate = async (request: FastifyRequest, reply: FastifyReply, access: Access, presented: string | undefined) => {
    const until = blockedUntil.get(request.ip)
    if (until !== undefined) {
      if (until > Date.now()) return tooManyFailures(reply, until)
      blockedUntil.delete(request.ip)
    }
    const principal = presented === undefined ? undefined : identify(presented)
    if (!principal) {
      const limit = await countFailure(request)
      if (!limit.isAllowed && limit.isExceeded) {
        if (blockedUntil.size >= MAX_BLOCKED_ADDRESSES) blockedUntil.delete(blockedUntil.keys().next().value as string)
        const blockEnd = Date.now() + limit.ttl
        blockedUntil.set(request.ip, blockEnd)
        return tooManyFailures(reply, blockEnd)
      }
      reply.header('www-authenticate', 'Bearer realm="llm-config"')
      return sendProblem(reply, {
        status: 401,
        type: PROBLEM_TYPES.unauthorized,
        title: 'Unauthorized',
        detail: presented === undefined ? 'This request needs an Authorization: Bearer <token> header.' : 'The bearer token is not valid.'
      })
    }
    Object.defineProperty(request, 'principal', { value: principal })
    if (!RIGHTS[principal.role as Role].has(access)) {
      return sendProblem(reply, {
        status: 403,
        type: PROBLEM_TYPES.forbidden,
        title: 'Forbidden',
        detail: `The token "${principal.name}" (${principal.role}) may not ${access} the configuration.`
      })
    }
  }
}, { name: 'auth', dependencies: ['write-limits'] })

/**
 * Writes are never open: without any configured token, make an admin token for this run and
 * put it in a file only the service's user can read. The log says where, never the token.
 */
async function generateAdminToken (app: FastifyInstance, dataDir: string): Promise<TokenEntry> {
  const token = randomBytes(24).toString('base64url')
  const path = join(dataDir, GENERATED_TOKEN_FILE)
  await mkdir(dataDir, { recursive: true })
  await writeFile(path, `${token}\n`, { mode: 0o600 })
  await chmod(path, 0o600) // mode only applies when the file is created
  app.log.warn(`No ADMIN_TOKEN or *_TOKENS are set: generated an admin token for this run in ${path}`)
  return { name: 'admin', role: 'admin', token }
}
