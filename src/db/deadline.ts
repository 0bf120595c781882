// postgres.js has no query or pool-wait timeout: a frozen server (SIGSTOP, a network
// partition) would hang a request forever. Every request's database work therefore runs
// under a deadline, and connection failures become one typed error the routes answer with
// 503 + Retry-After. Idempotent reads are retried once on a connection error, so the first
// request after the database comes back succeeds instead of meeting the dead connection.

/** The database did not answer in time, or the connection to it failed. */
export class DatabaseUnavailableError extends Error {
  constructor (readonly reason: 'deadline' | 'connection') {
    super(reason === 'deadline' ? 'The database did not answer in time.' : 'The database connection failed.')
    this.name = 'DatabaseUnavailableError'
  }
}

// postgres.js connection error codes, Node socket errors, and SQLSTATEs of a server that is
// going away or not yet accepting (class 08 connection exceptions, 57P01-57P03 shutdown).
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND',
  '57P01', '57P02', '57P03'
])

export function isConnectionError (error: unknown): boolean {
  for (let e = error as { code?: unknown, cause?: unknown, message?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : ''
    if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true
    if (e.message === 'PGlite is closed') return true // the embedded database's "connection ended"
  }
  return false
}

/**
 * Given to the work: a deadline that has passed cannot stop a query postgres.js has queued, so
 * a transaction checks it (at its start and before it commits) and rolls back instead of
 * applying a change whose client was already told 503, possibly over newer acknowledged ones.
 */
export interface Deadline {
  readonly expired: boolean
  /** When it expires, in ms since the epoch (for a statement that checks it in the database). */
  readonly at: number
  /** Throws DatabaseUnavailableError('deadline') once the deadline has passed. */
  check: () => void
}

export interface DeadlineOptions {
  /** Safe to run twice (a read): retried once after a connection error. */
  idempotent?: boolean
}

let inFlight = 0

/** Database operations under way (for /metrics). */
export function databaseWorkInFlight (): number {
  return inFlight
}

export async function withDeadline<T> (ms: number, work: (deadline: Deadline) => Promise<T>, options: DeadlineOptions = {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const state: Deadline = {
    expired: false,
    at: Date.now() + ms,
    check () { if (this.expired) throw new DatabaseUnavailableError('deadline') }
  }
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      (state as { expired: boolean }).expired = true
      reject(new DatabaseUnavailableError('deadline'))
    }, ms)
  })
  const attempt = async (): Promise<T> => {
    try {
      return await work(state)
    } catch (error) {
      if (!isConnectionError(error)) throw error
      if (options.idempotent && !state.expired) {
        try {
          return await work(state)
        } catch (retryError) {
          if (isConnectionError(retryError)) throw new DatabaseUnavailableError('connection')
          throw retryError
        }
      }
      throw new DatabaseUnavailableError('connection')
    }
  }
  inFlight++
  const running = attempt().finally(() => { inFlight-- })
  try {
    return await Promise.race([running, deadline])
  } finally {
    clearTimeout(timer)
  }
}
