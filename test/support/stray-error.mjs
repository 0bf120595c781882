// Loaded into the real service by test/server.test.ts (NODE_OPTIONS=--import): on SIGWINCH it
// makes the uncaught error that STRAY_ERROR names, as if from somewhere in the process.
// SIGWINCH because the service leaves it alone: SIGUSR2 is one of the signals on which
// close-with-grace shuts the service down (nodemon's restart signal).
import { request } from 'node:http'
import postgres from 'postgres'

const DEAD = '127.0.0.1:1' // nobody listens on port 1

const strays = {
  // Thrown from a callback of our own, with a socket's code: a watcher's, say.
  'thrown ECONNRESET': () => setImmediate(() => {
    throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' })
  }),
  // A rejection nobody handles of an HTTP request's real error: a provider probe's.
  'rejected ECONNREFUSED of a request': () => {
    const refused = new Promise((resolve, reject) => request(`http://${DEAD}/`).once('error', reject).once('response', resolve).end())
    refused.then(() => {})
  },
  // A rejection nobody handles of postgres.js's own: a query of a pool whose server is gone.
  'rejected ECONNREFUSED of postgres.js': () => {
    const sql = postgres(`postgres://postgres@${DEAD}/nowhere`, { max: 1, connect_timeout: 2, onnotice: () => {} })
    sql.unsafe('select 1').then(() => {})
  }
}

const stray = strays[process.env.STRAY_ERROR ?? '']
if (!stray) throw new Error(`STRAY_ERROR must be one of: ${Object.keys(strays).join(', ')}`)
process.on('SIGWINCH', stray)
