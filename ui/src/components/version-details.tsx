// One version's changes as a diff, field by field (old → new; the key only as "changed"), and
// Restore, which asks first and then restores with If-Match on the version the page shows.
import { useRef, useState } from 'preact/hooks'
import { ApiError, describe, request } from '../api.js'
import { shown, type Value } from '../draft.js'
import { labelOf } from '../fields.js'
import type { Config, Editor } from '../use-editor.js'

export interface HistoryEntry {
  version: number
  changed_at: string
  actor: string
  action: string
  changes: Record<string, { old: Value, new: Value } | { changed: true }>
}

interface Props { entry: HistoryEntry, token: string | null, editor: Editor, canEdit: boolean, current: boolean }

export function VersionDetails ({ entry, token, editor, canEdit, current }: Props) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const restore = async () => {
    const latest = editor.draft?.latest.version
    setBusy(true)
    try {
      const { body } = await request<Config>(token, 'POST', '/llm-config/restore', { body: { version: entry.version }, ifMatch: latest ? `"${latest}"` : undefined })
      dialog.current?.close()
      editor.accept(body, `Version ${entry.version} restored as version ${body.version}.`)
    } catch (error) {
      setFailure(error instanceof ApiError && error.status === 412
        ? 'Not restored: the configuration changed meanwhile. Look at the new version, then restore again if you still want to.'
        : `Not restored: ${describe(error)}`)
      dialog.current?.close()
    } finally {
      setBusy(false)
    }
  }

  const changes = Object.entries(entry.changes)
  return (
    <div class='details' id={`version-${entry.version}`}>
      {changes.length === 0
        ? <p>No setting changed.</p>
        : (
          <table class='diff'>
            <caption>Changes in version {entry.version}</caption>
            <thead><tr><th scope='col'>Setting</th><th scope='col'>Before</th><th scope='col'>After</th></tr></thead>
            <tbody>
              {changes.map(([field, change]) => (
                <tr key={field}>
                  <th scope='row'>{labelOf(field)} <code class='name'>{field}</code></th>
                  {'changed' in change
                    ? <td colSpan={2}>changed</td>
                    : <><td class='old'><del>{shown(change.old)}</del></td><td class='new'><ins>{shown(change.new)}</ins></td></>}
                </tr>
              ))}
            </tbody>
          </table>
          )}
      {failure && <p class='error' role='alert'>{failure}</p>}
      <button
        type='button' disabled={!canEdit || current} title={current ? 'This is the current version' : undefined}
        onClick={() => { setFailure(null); dialog.current?.showModal() }}
      >Restore
      </button>
      {current && <span class='help'> (the current version)</span>}
      <dialog ref={dialog} aria-labelledby={`restore-title-${entry.version}`}>
        <h3 id={`restore-title-${entry.version}`}>Restore version {entry.version}?</h3>
        <p>Its settings and key become the configuration again, as a new version. Unsaved changes in the form stay unsaved.</p>
        <div class='buttons'>
          <button type='button' class='primary' disabled={busy} onClick={restore}>Restore</button>
          <button type='button' onClick={() => dialog.current?.close()}>Cancel</button>
        </div>
      </dialog>
    </div>
  )
}
