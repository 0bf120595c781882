// History: the versions, newest first, a page at a time (following the API's `next`). Opening
// one shows its changes field by field; Restore puts that version back, after a confirmation.
import { useEffect, useState } from 'preact/hooks'
import { describe, request } from '../api.js'
import { labelOf } from '../fields.js'
import type { Editor } from '../use-editor.js'
import { VersionDetails, type HistoryEntry } from './version-details.js'

interface Page { items: HistoryEntry[], next: string | null }

const PAGE = '/llm-config/history?limit=10'

export function HistorySection ({ token, editor, canEdit }: { token: string | null, editor: Editor, canEdit: boolean }) {
  const [items, setItems] = useState<HistoryEntry[]>([])
  const [next, setNext] = useState<string | null>(null)
  const [open, setOpen] = useState<number | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const latest = editor.draft?.latest.version

  // The first page again whenever a new version is served (made here or elsewhere).
  useEffect(() => {
    if (latest === undefined) return
    request<Page>(token, 'GET', PAGE).then(({ body }) => {
      setItems(body.items)
      setNext(body.next)
      setFailure(null)
    }, (error: unknown) => setFailure(describe(error)))
  }, [token, latest])

  const more = async () => {
    if (!next) return
    try {
      const { body } = await request<Page>(token, 'GET', next)
      setItems((shown) => [...shown, ...body.items.filter((item) => !shown.some((s) => s.version === item.version))])
      setNext(body.next)
    } catch (error) {
      setFailure(describe(error))
    }
  }

  return (
    <section class='card history' aria-labelledby='history-title'>
      <h2 id='history-title'>History</h2>
      {failure && <p class='error'>{failure}</p>}
      <ol class='versions'>
        {items.map((item) => (
          <li key={item.version} class={open === item.version ? 'open' : ''}>
            <button
              type='button' class='version' aria-expanded={open === item.version} aria-controls={`version-${item.version}`}
              onClick={() => setOpen(open === item.version ? null : item.version)}
            >
              <span class='v'>v{item.version}</span>
              <span class='meta'>{new Date(item.changed_at).toLocaleString()} · {item.actor} · {item.action}</span>
              <span class='fields'>{item.action === 'create' ? 'the first version' : Object.keys(item.changes).map(labelOf).join(', ') || 'no changes'}</span>
            </button>
            {open === item.version && (
              <VersionDetails entry={item} token={token} editor={editor} canEdit={canEdit} current={item.version === latest} />
            )}
          </li>
        ))}
      </ol>
      {next && <button type='button' onClick={more}>Older versions</button>}
    </section>
  )
}
