// `npm start`: builds what changed (scripts/build.mjs), then runs the service in this same
// process, so the signal a supervisor sends to `npm start` reaches the server. npm forwards
// SIGTERM to its child only, which for a plain script is `sh -c`: dash does not exec the
// command, so the shell died and left `node dist/server.js` running, re-parented. The script
// is therefore `exec node scripts/start.mjs` (the shell becomes this process) and the server
// is imported, not spawned.
import { build, stopOnSignal } from './build.mjs'

const release = stopOnSignal()
try {
  await build({ changed: true })
} catch (error) {
  console.error(error.message)
  process.exit(1)
}
release() // from here on the server's own graceful shutdown handles SIGTERM and SIGINT
await import('../dist/server.js')
