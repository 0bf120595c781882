// Writes the OpenAPI document the code generates to openapi.json (committed: reviewers see
// every change to the API's contract as a diff). Runs on the build (npm run openapi builds
// first); test/openapi.test.ts fails when the committed file and the code disagree.
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../dist/app.js'
import { loadConfig } from '../dist/config.js'

const target = new URL('../openapi.json', import.meta.url)

// An in-memory database and a throwaway token: the document does not depend on either.
const app = await buildApp(loadConfig({ DATABASE_URL: 'memory://', ADMIN_TOKEN: 'x'.repeat(16), LOG_LEVEL: 'silent' }))
try {
  await app.ready()
  await writeFile(target, `${JSON.stringify(app.swagger(), null, 2)}\n`)
  console.log(`wrote ${target.pathname}`)
} finally {
  await app.close()
}
