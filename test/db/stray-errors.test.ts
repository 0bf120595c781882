// Which uncaught errors the process survives (src/db/stray-errors.ts): a lost connection's
// stray error from the database client, and nothing else that merely looks like one.
import { request } from 'node:http'
import postgres from 'postgres'
import t from 'tap'
import { isDatabaseClientError } from '../../src/db/stray-errors.js'

/** The error postgres.js rejects a query with when its server cannot be reached (port 1: nobody listens). */
async function postgresConnectionError (): Promise<unknown> {
  const sql = postgres('postgres://postgres@127.0.0.1:1/nowhere', { max: 1, connect_timeout: 2, onnotice: () => {} })
  try {
    await sql.unsafe('select 1')
  } catch (error) {
    return error
  } finally {
    await sql.end({ timeout: 0 })
  }
  throw new Error('expected the query to fail')
}

/** The error of an HTTP request to the same dead port: a provider probe's, say. */
function httpConnectionError (): Promise<Error> {
  return new Promise((resolve, reject) => {
    request('http://127.0.0.1:1/').once('error', resolve).once('response', () => reject(new Error('expected no answer'))).end()
  })
}

t.test('a connection error that postgres.js rejected a query with is the database client\'s', async (t) => {
  const error = await postgresConnectionError()
  t.match(error, { code: 'ECONNREFUSED' })
  t.equal(isDatabaseClientError(error), true)
})

t.test('postgres.js\'s write after close (porsager/postgres#1208) is the database client\'s', async (t) => {
  const error = new TypeError('Cannot read properties of null (reading \'write\')')
  error.stack = `${error.name}: ${error.message}\n    at write (/app/node_modules/postgres/src/connection.js:262:14)\n    at Socket.onclose (/app/node_modules/postgres/src/connection.js:421:5)`
  t.equal(isDatabaseClientError(error), true)
})

t.test('the same codes from anywhere else are not', async (t) => {
  const http = await httpConnectionError()
  t.match(http, { code: 'ECONNREFUSED' })
  t.equal(isDatabaseClientError(http), false, 'a request\'s ECONNREFUSED (a provider probe)')
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' })
  t.equal(isDatabaseClientError(reset), false, 'an ECONNRESET thrown by our own code or a watcher\'s socket')
  t.equal(isDatabaseClientError(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' })), false, 'ENOTFOUND')
  t.equal(isDatabaseClientError(Object.assign(new Error('x'), { code: '08006' })), false, 'a SQLSTATE alone')
  t.equal(isDatabaseClientError('ECONNRESET'), false, 'not an Error')
})

t.test('other errors of the database client are not stray connection errors', async (t) => {
  const error = new TypeError('Cannot read properties of undefined (reading \'rows\')')
  error.stack = `${error.name}: ${error.message}\n    at parse (/app/node_modules/postgres/src/connection.js:500:1)`
  t.equal(isDatabaseClientError(error), false, 'a bug, not a lost connection')
})
