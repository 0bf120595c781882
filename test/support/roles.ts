// Tokens of every role, the environment that configures them, and a check that no secret
// leaked into a response. test/helper.ts configures one admin token (ADMIN_TOKEN); the role
// tests add readers and consumers through the environment, as an operator would.
import { asc } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../../src/app.js'
import { llmConfig } from '../../src/db/schema.js'
import { ADMIN_TOKEN } from '../helper.js'

export const TOKENS = {
  admin: ADMIN_TOKEN,
  reader: 'reader-token-dashboard-5b8e2f',
  consumer: 'consumer-token-worker-91c4d7a',
  // Well-formed and long enough, but configured nowhere.
  unknown: 'unknown-token-nobody-3e6f0a2'
} as const

export type Caller = 'none' | keyof typeof TOKENS

export const CALLERS: Caller[] = ['none', 'unknown', 'reader', 'consumer', 'admin']

/** Rate limits high enough that only a test about rate limiting ever meets them. */
export const HIGH_LIMITS = { AUTH_FAILURE_LIMIT: '100000', WRITE_RATE_LIMIT: '100000' }

/** Consumer tokens always; reader tokens only when `readers` (configuring one closes reads). */
export function roleEnv ({ readers }: { readers: boolean }): Record<string, string> {
  return {
    ...HIGH_LIMITS,
    CONSUMER_TOKENS: `worker:${TOKENS.consumer}`,
    ...(readers ? { READER_TOKENS: `dashboard:${TOKENS.reader}` } : {})
  }
}

export function headersOf (caller: Caller): Record<string, string> {
  return caller === 'none' ? {} : { authorization: `Bearer ${TOKENS[caller]}` }
}

/** Every token, and any extra secret, that shows up in a response's body or headers. */
export function leakedSecrets (res: LightMyRequestResponse, extra: string[] = []): string[] {
  const text = `${res.body}\n${JSON.stringify(res.headers)}`
  return [...Object.values(TOKENS), ...extra].filter((secret) => text.includes(secret))
}

/**
 * storedState (../llm-config/state.ts) read with the admin token: once READER_TOKENS is
 * configured an anonymous GET is a 401, and comparing two 401s would compare nothing.
 */
export async function storedStateAsAdmin (app: App) {
  const res = await app.inject({ method: 'GET', url: '/llm-config', headers: headersOf('admin') })
  if (res.statusCode !== 200) throw new Error(`GET /llm-config as admin answered ${res.statusCode}`)
  const rows = await app.database.db.select().from(llmConfig).orderBy(asc(llmConfig.id))
  return { etag: res.headers.etag, body: res.json(), rows }
}
