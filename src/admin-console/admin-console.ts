// The admin console at /admin: the files Vite built into ui/dist, served by the service itself
// under a strict Content-Security-Policy (scripts and styles from this origin only, no inline
// script, no framing; https://www.w3.org/TR/CSP3/). / redirects here. None of this is the API:
// every route is hidden from the OpenAPI document. ADMIN_UI_ENABLED=false leaves it unregistered.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import type {} from '@fastify/swagger' // its schema.hide (FastifySchema augmentation)

export interface AdminConsoleOptions {
  /** Absolute path of the built console (ui/dist); see built-files.ts. */
  root: string
}

export const CONSOLE_PREFIX = '/admin'

// The page speaks to its own origin only (connect-src), shows images only from it or data:
// URLs (the empty favicon), and may not be framed (clickjacking) or re-based.
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"
].join('; ')

export default async function adminConsole (app: FastifyInstance, { root }: AdminConsoleOptions) {
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`The admin console is not built: ${join(root, 'index.html')} does not exist. ` +
      'Run `npm run build` (or `npm run build -w @llm-config/admin-console`), or set ADMIN_UI_ENABLED=false.')
  }

  // After the app's own security headers (the API's CSP allows nothing at all): this context's
  // hook runs later, so the page's policy replaces it on these routes only.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CSP)
  })

  await app.register(fastifyStatic, {
    root,
    prefix: `${CONSOLE_PREFIX}/`,
    index: ['index.html'],
    wildcard: false, // routes for the built files only: anything else under /admin/ is the usual 404
    schemaHide: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      // Vite names assets by their content hash: they never change. index.html names them: it is always revalidated.
      reply.header('cache-control', path.includes(`${join('assets', '')}`) ? 'public, max-age=31536000, immutable' : 'no-cache')
    }
  })

  const page = { schema: { hide: true } }
  app.get(CONSOLE_PREFIX, page, (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'))
  app.get('/', page, (_request, reply) => reply.redirect(CONSOLE_PREFIX, 302))
}
