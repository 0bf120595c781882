// `npm run db:rollback`: reverts the most recently applied migration. drizzle-kit has no down
// migrations, so each migration has a reviewed script in drizzle/down/<tag>.sql. The script
// and the removal of drizzle's record of the migration commit together or not at all.
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { eq, sql } from 'drizzle-orm'
import { loadConfig } from '../config.js'
import { openDatabase, type Db } from '../db/client.js'
import { latestApplied, migrationsFolder, readJournal } from '../db/migrate.js'
import { drizzleMigrations } from '../db/migrations-table.js'

/** Returns the tag of the migration it reverted, or null when none was applied. */
export async function rollbackLatest (db: Db): Promise<string | null> {
  const applied = await latestApplied(db)
  if (!applied) return null
  const entry = readJournal().find((candidate) => candidate.when === applied.created_at)
  if (!entry) throw new Error(`The latest applied migration (created_at ${applied.created_at}) is not in drizzle/meta/_journal.json`)
  const down = await readFile(`${migrationsFolder}/down/${entry.tag}.sql`, 'utf8')
  await db.transaction(async (tx) => {
    for (const statement of down.split('--> statement-breakpoint')) {
      await tx.execute(sql.raw(statement))
    }
    await tx.delete(drizzleMigrations).where(eq(drizzleMigrations.id, applied.id))
  })
  return entry.tag
}

async function main (): Promise<void> {
  const database = await openDatabase(loadConfig().database)
  try {
    const tag = await rollbackLatest(database.db)
    console.log(tag === null ? 'No migration is applied: nothing to roll back.' : `Rolled back ${tag}.`)
  } finally {
    await database.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(`db:rollback failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  })
}
