// The merge and conflict rules of the console (ui/src/draft.ts): what a new version does to
// the person's unsaved changes, and what Save sends.
import t from 'tap'
import { conflicts, edit, isDirty, keepMine, patchOf, receive, startDraft, takeTheirs, valueOf } from '../src/draft.js'

const v1 = { version: 1, provider: 'local', batch_size: 5, model_tagger: 'phi3', backup_model: null, updated_at: 'a' }

t.test('an edit is a change from the latest version; setting it back undoes it', async (t) => {
  let draft = edit(startDraft(v1), 'batch_size', 20)
  t.equal(valueOf(draft, 'batch_size'), 20)
  t.ok(isDirty(draft))
  t.same(patchOf(draft), { batch_size: 20 }, 'the patch names only the changed field')
  draft = edit(draft, 'batch_size', 5)
  t.notOk(isDirty(draft), 'back to the stored value: nothing to save')
  t.same(patchOf(draft), {})
})

t.test('a new version: untouched fields take its values, touched fields keep the person\'s', async (t) => {
  const mine = edit(startDraft(v1), 'batch_size', 20)
  const { draft, taken, kept } = receive(mine, { ...v1, version: 2, model_tagger: 'gpt-4o-mini', updated_at: 'b' })
  t.equal(valueOf(draft, 'model_tagger'), 'gpt-4o-mini', 'the other change shows at once')
  t.equal(valueOf(draft, 'batch_size'), 20, 'the person\'s value stays')
  t.same(taken, ['model_tagger'], 'updated_at is not a setting that was "taken"')
  t.same(kept, [])
  t.same(conflicts(draft), [], 'different fields: no conflict')
  t.same(patchOf(draft), { batch_size: 20 }, 'Save applies only the person\'s change on top of version 2')
})

t.test('the same field changed by both: a conflict, settled per field', async (t) => {
  const mine = edit(edit(startDraft(v1), 'batch_size', 20), 'provider', 'openai')
  const { draft, kept } = receive(mine, { ...v1, version: 2, batch_size: 50, provider: 'ollama' })
  t.same(kept.sort(), ['batch_size', 'provider'])
  t.same(conflicts(draft).map((c) => [c.field, c.mine, c.theirs, c.base]).sort(), [['batch_size', 20, 50, 5], ['provider', 'openai', 'ollama', 'local']])
  const kept1 = keepMine(draft, 'batch_size')
  t.same(conflicts(kept1).map((c) => c.field), ['provider'], 'Keep mine settles that field')
  t.same(patchOf(kept1), { batch_size: 20, provider: 'openai' })
  const settled = takeTheirs(kept1, 'provider')
  t.same(conflicts(settled), [], 'Take theirs settles the other')
  t.equal(valueOf(settled, 'provider'), 'ollama')
  t.same(patchOf(settled), { batch_size: 20 })
})

t.test('a kept conflict comes back when the field changes again', async (t) => {
  const mine = keepMine(receive(edit(startDraft(v1), 'batch_size', 20), { ...v1, version: 2, batch_size: 50 }).draft, 'batch_size')
  const again = receive(mine, { ...v1, version: 3, batch_size: 60 }).draft
  t.same(conflicts(again).map((c) => [c.theirs, c.base]), [[60, 50]])
})

t.test('the other person made the same change: it is no longer a change', async (t) => {
  const { draft, agreed } = receive(edit(startDraft(v1), 'batch_size', 20), { ...v1, version: 2, batch_size: 20 })
  t.same(agreed, ['batch_size'])
  t.notOk(isDirty(draft))
  t.same(conflicts(draft), [])
})

t.test('an older or repeated version changes nothing', async (t) => {
  const now = receive(edit(startDraft(v1), 'batch_size', 20), { ...v1, version: 3, batch_size: 7 }).draft
  const late = receive(now, { ...v1, version: 2, batch_size: 9 })
  t.equal(late.draft, now)
  t.same(late.taken, [])
})

t.test('editing a conflicted field again keeps it conflicted until settled', async (t) => {
  const conflicted = receive(edit(startDraft(v1), 'batch_size', 20), { ...v1, version: 2, batch_size: 50 }).draft
  const edited = edit(conflicted, 'batch_size', 30)
  t.same(conflicts(edited).map((c) => [c.mine, c.theirs]), [[30, 50]])
  t.notOk(isDirty(edit(edited, 'batch_size', 50)), 'typing their value settles it')
})
