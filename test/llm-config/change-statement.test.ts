// The change statement on its own (src/llm-config/change-statement.ts): what it writes, and that
// each of its guards — If-Match versions, the rules, the deadline by the database's clock —
// changes nothing when it fails (the row, the history and the NOTIFY all stay as they were).
// Through HTTP the deadline guard is out of reach: it fails only when a statement reaches
// the database after the request's deadline (a frozen database, test/faults.test.ts).
import { asc } from 'drizzle-orm'
import t from 'tap'
import { llmConfigHistory } from '../../src/db/schema.js'
import { runChange } from '../../src/llm-config/config/change-statement.js'
import { testApp } from '../helper.js'
import { storedState } from './state.js'

const historyRows = (app: Awaited<ReturnType<typeof testApp>>['app']) =>
  app.database.db.select().from(llmConfigHistory).orderBy(asc(llmConfigHistory.version))

const soon = () => Date.now() + 60_000

t.test('one statement: the row, version + 1, a history row with what changed, the states before and after', async (t) => {
  const { app } = await testApp(t)
  const before = await storedState(app)
  const result = await runChange(app.database.db, {
    set: { batch_size: 42, backup_provider: 'openai' }, actor: 'tester', action: 'update', retain: undefined, guard: { versions: undefined, deadline: soon() }
  })
  t.equal(result.before.version, before.body.version)
  t.equal(result.after?.version, before.body.version + 1)
  t.equal(result.after?.batch_size, 42)
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

t.test('a failing guard changes nothing: stale If-Match, a broken rule, a deadline already past', async (t) => {
  const { app } = await testApp(t)
  const cases = [
    { name: 'If-Match names an older version', set: { batch_size: 7 }, guard: (v: number) => ({ versions: [v - 1], deadline: soon() }) },
    { name: 'If-Match with no usable version (weak or foreign tags)', set: { batch_size: 7 }, guard: () => ({ versions: [], deadline: soon() }) },
    { name: 'backup_model without a backup_provider', set: { backup_model: 'gpt-4o' }, guard: () => ({ versions: '*' as const, deadline: soon() }) },
    { name: 'the deadline passed by the database\'s clock', set: { batch_size: 7 }, guard: () => ({ versions: undefined, deadline: Date.now() - 1 }) }
  ]
  for (const { name, set, guard } of cases) {
    const before = await storedState(app)
    const history = await historyRows(app)
    const result = await runChange(app.database.db, { set, actor: 'tester', action: 'update', retain: undefined, guard: guard(before.body.version) })
    t.equal(result.after, null, `${name}: nothing written`)
    t.equal(result.before.version, before.body.version, `${name}: the stored state is returned`)
    t.same(await storedState(app), before, `${name}: the row is as it was`)
    t.same(await historyRows(app), history, `${name}: no history row`)
  }
})

t.test('guards that hold: the current version, *, a rule satisfied by the stored state', async (t) => {
  const { app } = await testApp(t)
  const first = await storedState(app)
  await runChange(app.database.db, { set: { backup_provider: 'anthropic' }, actor: 'tester', action: 'update', retain: undefined, guard: { versions: [first.body.version], deadline: soon() } })
  // backup_model alone is fine now that the stored state has a backup_provider.
  const result = await runChange(app.database.db, { set: { backup_model: 'claude' }, actor: 'tester', action: 'update', retain: undefined, guard: { versions: '*', deadline: soon() } })
  t.equal(result.after?.backup_model, 'claude')
  t.equal(result.after?.backup_provider, 'anthropic')
  t.equal(result.after?.version, first.body.version + 2)
})

t.test('retain: the versions the new one pushes out are pruned in the same statement', async (t) => {
  const { app } = await testApp(t)
  for (let size = 1; size <= 4; size++) {
    await runChange(app.database.db, { set: { batch_size: size }, actor: 'tester', action: 'update', retain: 2, guard: { versions: undefined, deadline: soon() } })
  }
  const versions = (await historyRows(app)).map((row) => row.version)
  const current = (await storedState(app)).rows[0]?.version ?? 0
  t.same(versions, [current - 1, current], 'the last two versions are kept')
})
