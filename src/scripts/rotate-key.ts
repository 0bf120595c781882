// `npm run secrets:rotate`: re-encrypts the stored API key under the current ENCRYPTION_KEY.
// Rotation without downtime: deploy the new key as ENCRYPTION_KEY with the old one in
// ENCRYPTION_KEYS_OLD, run this once, then drop the old key. Running it again does nothing.
import { pathToFileURL } from 'node:url'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/client.js'
import { migrateDatabase } from '../db/migrate.js'
import { loadKeyring } from '../llm-config/secrets/keyring.js'
import { createLlmConfigRepository, type RotateResult } from '../llm-config/config/repository.js'

const MESSAGES: Record<RotateResult, string> = {
  rotated: 'Re-encrypted the stored API key under the current key',
  'encrypted-plaintext': 'Encrypted the stored API key, which was plaintext, under the current key',
  unchanged: 'The stored API key is already encrypted under the current key: nothing to do',
  'no-key': 'No API key is stored: nothing to do'
}

async function main (): Promise<void> {
  const config = loadConfig()
  const keyring = await loadKeyring(config, (message) => console.warn(message))
  const database = await openDatabase(config.database, { deadlineMs: config.databaseDeadlineMs })
  try {
    await migrateDatabase(database) // the same schema the service would run on
    const result = await createLlmConfigRepository(database.db, { keyring, deadlineMs: config.databaseDeadlineMs }).rotate()
    console.log(`${MESSAGES[result]} (key id ${keyring.currentId}).`)
  } finally {
    await database.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    // Our own errors name key ids, never key material; anything else only by its kind.
    const err = error as { name?: string, message?: string, code?: string }
    const detail = err.name === 'SecretUnavailableError' || err.name === 'ConfigError' ? err.message : `${err.name ?? 'Error'}${err.code ? ` (${err.code})` : ''}`
    console.error(`secrets:rotate failed: ${detail}`)
    process.exitCode = 1
  })
}
