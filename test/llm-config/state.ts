// What "nothing changed" means in a test: the public body, its ETag, and the stored row
// (the API key included, which no response shows).
import { asc } from 'drizzle-orm'
import type { App } from '../../src/app.js'
import { llmConfig } from '../../src/db/schema.js'

export async function storedState (app: App) {
  const res = await app.inject({ method: 'GET', url: '/llm-config' })
  const rows = await app.database.db.select().from(llmConfig).orderBy(asc(llmConfig.id))
  return { etag: res.headers.etag, body: res.json(), rows }
}
