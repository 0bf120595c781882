// Someone else saved while this page was open: which version, who, when, and what it did to
// the form (fields that took the new values; fields of the person's that it also changed).
import { labelOf } from '../fields.js'
import type { Arrived } from '../use-editor.js'

const names = (fields: string[]) => fields.map(labelOf).join(', ')

export function UpdateNotice ({ arrived, onDismiss }: { arrived: Arrived, onDismiss: () => void }) {
  const when = arrived.at ? new Date(arrived.at).toLocaleTimeString() : null
  return (
    <div class='notice' role='status'>
      <p>
        <strong>Version {arrived.version}</strong> was saved{arrived.actor ? ` by ${arrived.actor}` : ''}{when ? ` at ${when}` : ''}.
        {arrived.taken.length > 0 && <> Updated here: {names(arrived.taken)}.</>}
        {arrived.kept.length > 0 && <> Your unsaved value is kept for: {names(arrived.kept)} (marked below).</>}
      </p>
      <button type='button' class='quiet' onClick={onDismiss}>Dismiss</button>
    </div>
  )
}
