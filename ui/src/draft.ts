// The person's unsaved changes over the latest version, and what happens to them when someone
// else saves meanwhile. Pure (no DOM, no fetch): ui/test/draft.test.ts covers it.
//
// Each changed field remembers the value it was changed from (`base`). When a new version
// arrives, a field nobody here touched simply shows the new value (it is read from `latest`);
// a touched field keeps the person's value. If the new version changed that field too (its
// value differs from `base`), the two changes conflict: Save is refused until the person keeps
// theirs (base becomes the new value) or takes the other's (the change is dropped). A field that
// the new version set to the person's own value is no longer a change at all.

export type Value = string | number | boolean | null
export type Settings = Record<string, Value>

export interface Change {
  /** The person's value. */
  mine: Value
  /** The value it was changed from: the server's, when the person first touched the field. */
  base: Value
}

export interface Draft {
  /** The latest version known, as the API serves it. */
  latest: Settings & { version: number }
  changes: Record<string, Change>
}

export interface Conflict { field: string, mine: Value, theirs: Value, base: Value }

/** What a new version did to a draft: fields that took the new value, and touched fields it also changed. */
export interface Arrival { draft: Draft, taken: string[], kept: string[], agreed: string[] }

/** Fields that describe a version rather than set anything: never "taken" or "kept". */
const METADATA = new Set(['id', 'version', 'created_at', 'updated_at', 'api_key_version'])

export const startDraft = (latest: Draft['latest']): Draft => ({ latest, changes: {} })

/** What the page shows for a field. */
export const valueOf = (draft: Draft, field: string): Value =>
  field in draft.changes ? draft.changes[field]!.mine : (draft.latest[field] ?? null)

export const isDirty = (draft: Draft): boolean => Object.keys(draft.changes).length > 0

/** The person sets a field. Setting it back to the latest value undoes the change. */
export function edit (draft: Draft, field: string, value: Value): Draft {
  const changes = { ...draft.changes }
  const base = changes[field]?.base ?? draft.latest[field] ?? null
  if (value === draft.latest[field]) delete changes[field]
  else changes[field] = { mine: value, base }
  return { ...draft, changes }
}

/** A new version arrives (watch event, or the answer to a stale If-Match). */
export function receive (draft: Draft, latest: Draft['latest']): Arrival {
  if (latest.version < draft.latest.version) return { draft, taken: [], kept: [], agreed: [] }
  const taken: string[] = []
  const kept: string[] = []
  const agreed: string[] = []
  const changes: Record<string, Change> = {}
  for (const field of Object.keys(latest)) {
    if (METADATA.has(field) || latest[field] === draft.latest[field]) continue
    const change = draft.changes[field]
    if (!change) taken.push(field)
    else if (change.mine === latest[field]) agreed.push(field)
    else kept.push(field)
  }
  for (const [field, change] of Object.entries(draft.changes)) {
    if (change.mine !== latest[field]) changes[field] = change
  }
  return { draft: { latest, changes }, taken, kept, agreed }
}

/** Touched fields whose latest value is not the one the person started from. */
export function conflicts (draft: Draft): Conflict[] {
  return Object.entries(draft.changes)
    .filter(([field, change]) => change.base !== (draft.latest[field] ?? null))
    .map(([field, change]) => ({ field, mine: change.mine, theirs: draft.latest[field] ?? null, base: change.base }))
}

export const isConflicted = (draft: Draft, field: string): boolean => conflicts(draft).some((c) => c.field === field)

/** Keep the person's value over the other change: it is now a change of the latest version. */
export function keepMine (draft: Draft, field: string): Draft {
  const change = draft.changes[field]
  if (!change) return draft
  return { ...draft, changes: { ...draft.changes, [field]: { mine: change.mine, base: draft.latest[field] ?? null } } }
}

/** Take the other person's value: the change is dropped. */
export function takeTheirs (draft: Draft, field: string): Draft {
  const changes = { ...draft.changes }
  delete changes[field]
  return { ...draft, changes }
}

/** The JSON merge patch (RFC 7396) of the person's changes: only the fields they changed. */
export function patchOf (draft: Draft): Settings {
  return Object.fromEntries(Object.entries(draft.changes).map(([field, change]) => [field, change.mine]))
}

/** What the page shows for a conflict or a change: values in words, null as "(empty)". */
export const shown = (value: Value): string => value === null ? '(empty)' : String(value)
