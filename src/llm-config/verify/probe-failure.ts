// How a probe failed: one of the report's error classes, and words for people. Built from
// status codes and error codes only, never from an error's message (it may quote a header).
import type { ErrorClass } from './schemas.js'

export class ProbeFailure extends Error {
  constructor (readonly errorClass: ErrorClass, readonly detail: string) {
    super(detail)
    this.name = 'ProbeFailure'
  }
}

// OpenSSL and Node's TLS layer: https://nodejs.org/api/errors.html#openssl-error-codes
const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/

/** The class of an error thrown while resolving, connecting or reading. */
export function classifyError (error: unknown, timeoutMs: number): ProbeFailure {
  if (error instanceof ProbeFailure) return error
  const err = error as { name?: string, code?: unknown, cause?: { code?: unknown, name?: string } }
  // AbortSignal.timeout aborts with a TimeoutError; a fetch aborted mid-body rethrows it.
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || err.cause?.name === 'TimeoutError') {
    return new ProbeFailure('timeout', `no answer within ${timeoutMs} ms`)
  }
  const code = String(err.cause?.code ?? err.code ?? err.cause?.name ?? err.name ?? 'unknown')
  if (TLS_CODE.test(code)) return new ProbeFailure('tls', `the TLS handshake failed (${code})`)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ProbeFailure('unreachable', `the host name does not resolve (${code})`)
  return new ProbeFailure('unreachable', `the connection failed (${code})`)
}
