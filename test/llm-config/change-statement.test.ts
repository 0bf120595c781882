// The change statement on its own (src/llm-config/config/change-statement.ts): what it writes
// and returns, and the history it prunes. The checks on what it returns (preconditions, rules,
// nothing changed) are the repository's, tested through HTTP (write.test.ts, model.test.ts).
import { asc } from 'drizzle-orm'
import t from 'tap'
import { llmConfigHistory } from '../../src/db/schema.js'
import { runChange } from '../../src/llm-config/config/change-statement.js'
import { testApp } from '../helper.js'
import { storedState } from './state.js'

const historyRows = (app: Awaited<ReturnType<typeof testApp>>['app']) =>
  app.database.db.select().from(llmConfigHistory).orderBy(asc(llmConfigHistory.version))

t.test('one statement: the row, version + 1, a history row with what changed, the states before and after, and the changes', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  const result = await runChange(app.database.db, {
    set: { batch_size: 42, backup_provider: 'openai' }, actor: 'tester', action: 'update', retain: undefined
  })
  t.equal(result.before.version, before.body.version)
  t.equal(result.after.version, before.body.version + 1)
  t.equal(result.after.batch_size, 42)
  t.same(result.changes, { batch_size: { old: before.body.batch_size, new: 42 }, backup_provider: { old: null, new: 'openai' } })
  // Read from the database: the replica's copy learns of the change from the NOTIFY, later.
  const [after] = (await storedState(app)).rows
  t.equal(after?.batch_size, 42, 'stored')
  t.equal(after?.version, before.body.version + 1)
  const last = (await historyRows(app)).at(-1)
  t.equal(last?.version, before.body.version + 1)
  t.equal(last?.actor, 'tester')
  t.same(last?.changes, { batch_size: { old: before.body.batch_size, new: 42 }, backup_provider: { old: null, new: 'openai' } },
    'changes: only what differs, old and new')
  t.equal((last?.snapshot as Record<string, unknown>).batch_size, 42, 'the snapshot is the state after')
})

t.test('retain: the versions the new one pushes out are pruned in the same statement', async (t) => {
  const { app } = await testApp(t)
  for (let size = 1; size <= 4; size++) {
    await runChange(app.database.db, { set: { batch_size: size }, actor: 'tester', action: 'update', retain: 2 })
  }
  const versions = (await historyRows(app)).map((row) => row.version)
  const current = (await storedState(app)).rows[0]?.version ?? 0
  t.same(versions, [current - 1, current], 'the last two versions are kept')
})
