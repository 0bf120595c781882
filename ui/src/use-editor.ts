// The configuration being edited: the latest version (from GET, then /llm-config/watch), the
// person's changes over it (draft.ts), the API key's pending action, field errors, and Save.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, describe, request } from './api.js'
import { conflicts, edit, isDirty, keepMine, patchOf, receive, startDraft, takeTheirs, type Draft, type Settings, type Value } from './draft.js'
import { RULES, SETTINGS } from './fields.js'
import { follow, type LiveStatus } from './live.js'
import { fieldErrorsOf, problemOf, validate, type FieldErrors } from './validate.js'

export type Config = Settings & { version: number, updated_at?: string, api_key_set?: boolean, api_key_hint?: string | null }

/** Another person's version, as the notice names it. */
export interface Arrived { version: number, actor: string | null, at: string | null, taken: string[], kept: string[] }

/** The key's pending change: a new key typed (kept in memory until saved), or clear. */
export type KeyAction = { kind: 'replace', value: string } | { kind: 'clear' } | null

export interface Editor {
  draft: Draft | null
  loadError: string | null
  live: LiveStatus
  arrived: Arrived | null
  errors: FieldErrors
  showConflicts: boolean
  saving: boolean
  message: string | null
  key: KeyAction
  dirty: boolean
  set: (field: string, value: Value) => void
  setKey: (action: KeyAction) => void
  save: () => Promise<void>
  keep: (field: string) => void
  take: (field: string) => void
  accept: (config: Config, message?: string) => void
  dismissArrived: () => void
  /** The unsaved values as a verify body (the key included if typed), or null with the errors shown. */
  unsaved: () => Settings | null
}

const etagOf = (draft: Draft) => `"${draft.latest.version}"`

export function useEditor (token: string | null, enabled: boolean): Editor {
  const [draft, setDraft] = useState<Draft | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [live, setLive] = useState<LiveStatus>('closed')
  const [arrived, setArrived] = useState<Arrived | null>(null)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [showConflicts, setShowConflicts] = useState(false)
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const [key, setKeyState] = useState<KeyAction>(null)
  // The draft as of the last render, for callbacks that run between renders (stream events).
  const current = useRef<Draft | null>(null)
  current.current = draft
  // Versions this page wrote: their watch events need no notice.
  const ours = useRef(new Set<number>())

  const update = (next: Draft | null) => {
    current.current = next
    setDraft(next)
  }

  /** A new version from anywhere: merge it under the person's changes. */
  const arrive = useCallback((config: Config) => {
    const before = current.current
    if (!before) return update(startDraft(config))
    if (config.version <= before.latest.version) return
    const result = receive(before, config)
    update(result.draft)
    if (ours.current.has(config.version)) return
    const settled = (fields: string[]) => fields.map((f) => (f === 'api_key_hint' || f === 'api_key_set' ? 'api_key' : f))
      .filter((f, i, all) => all.indexOf(f) === i && (f === 'api_key' || SETTINGS.some((s) => s.name === f)))
    const notice: Arrived = { version: config.version, actor: null, at: config.updated_at ?? null, taken: settled(result.taken), kept: settled(result.kept) }
    setArrived(notice)
    // Who made it: the version's change record.
    request<{ change: { actor: string, changed_at: string } }>(token, 'GET', `/llm-config/history/${config.version}`).then(({ body }) => {
      setArrived((shown) => shown?.version === notice.version ? { ...shown, actor: body.change.actor, at: body.change.changed_at } : shown)
    }, () => {})
  }, [token])

  useEffect(() => {
    if (!enabled) {
      update(null)
      return
    }
    let stopped = false
    setLoadError(null)
    request<Config>(token, 'GET', '/llm-config').then(({ body }) => {
      if (!stopped) arrive(body)
    }, (error: unknown) => { if (!stopped) setLoadError(describe(error)) })
    const stop = follow({ token, onStatus: setLive, onConfig: (config) => arrive(config as Config) })
    return () => {
      stopped = true
      stop()
      update(null)
      setArrived(null)
      setKeyState(null)
      setErrors({})
      setMessage(null)
    }
  }, [token, enabled, arrive])

  const set = (field: string, value: Value) => {
    if (!draft) return
    update(edit(draft, field, value))
    setMessage(null)
    setErrors(({ [field]: _dropped, ...rest }) => rest)
  }

  const setKey = (action: KeyAction) => {
    setKeyState(action)
    setErrors(({ api_key: _dropped, ...rest }) => rest)
  }

  /** Client-side checks of every setting and the typed key; the errors are shown when any. */
  const check = (target: Draft): boolean => {
    const values: Settings = { ...target.latest, ...patchOf(target) }
    const found = validate(values, RULES, SETTINGS.map((f) => f.name))
    const keyProblem = key?.kind === 'replace' ? problemOf(key.value, RULES.api_key) : undefined
    if (keyProblem) found.api_key = keyProblem
    setErrors(found)
    if (Object.keys(found).length > 0) {
      setMessage('Some values are not valid: see the marked fields.')
      return false
    }
    return true
  }

  const bodyOf = (target: Draft): Settings => ({
    ...patchOf(target),
    ...(key?.kind === 'replace' ? { api_key: key.value } : key?.kind === 'clear' ? { api_key: null } : {})
  })

  const save = async (retried = false): Promise<void> => {
    const target = current.current
    if (!target || !check(target)) return
    if (conflicts(target).length > 0) {
      setShowConflicts(true)
      setMessage('Not saved: someone else changed the same settings. Choose, for each one, which value to keep.')
      return
    }
    const body = bodyOf(target)
    if (Object.keys(body).length === 0) return setMessage('Nothing to save.')
    setSaving(true)
    try {
      const { body: saved } = await request<Config>(token, 'PATCH', '/llm-config', {
        body, ifMatch: etagOf(target), contentType: 'application/merge-patch+json'
      })
      ours.current.add(saved.version)
      setKeyState(null) // the typed key leaves memory with the pending change
      setShowConflicts(false)
      setErrors({})
      setArrived(null) // its news is part of what was just saved
      const latest = current.current
      // Versions newer than ours may already have come through the stream: keep the newest.
      update(latest && latest.latest.version > saved.version ? { ...latest, changes: {} } : startDraft(saved))
      setMessage(`Saved as version ${saved.version}.`)
    } catch (error) {
      if (error instanceof ApiError && error.status === 412 && !retried) {
        // Someone saved since this page's version: take theirs under our changes, then try again.
        const { body: latest } = await request<Config>(token, 'GET', '/llm-config?consistent=true')
        arrive(latest)
        return await save(true)
      }
      if (error instanceof ApiError && error.status === 412) {
        setMessage('Not saved: the configuration keeps changing. Review the marked fields and save again.')
      } else if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
        const found = fieldErrorsOf(error.problem)
        setErrors(found)
        setMessage(Object.keys(found).length > 0 ? 'Not saved: the service refused the marked fields.' : `Not saved: ${describe(error)}`)
      } else {
        setMessage(`Not saved: ${describe(error)}`)
      }
    } finally {
      setSaving(false)
    }
  }

  const resolve = (next: Draft) => {
    update(next)
    if (conflicts(next).length === 0) setShowConflicts(false)
  }

  return {
    draft,
    loadError,
    live,
    arrived,
    errors,
    showConflicts: showConflicts && draft !== null && conflicts(draft).length > 0,
    saving,
    message,
    key,
    dirty: (draft !== null && isDirty(draft)) || key !== null,
    set,
    setKey,
    save: () => save(),
    keep: (field) => { if (draft) resolve(keepMine(draft, field)) },
    take: (field) => { if (draft) resolve(takeTheirs(draft, field)) },
    accept: (config, text) => {
      ours.current.add(config.version)
      arrive(config)
      if (text) setMessage(text)
    },
    dismissArrived: () => setArrived(null),
    unsaved: () => {
      const target = current.current
      return target && check(target) ? bodyOf(target) : null
    }
  }
}
