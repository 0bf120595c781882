// Save refused in the page: settings that the person and someone else both changed, with both
// values, and for each a choice. Nothing is written until every conflict is settled.
import { conflicts, shown, type Draft } from '../draft.js'
import { labelOf } from '../fields.js'

interface Props { draft: Draft, onKeep: (field: string) => void, onTake: (field: string) => void }

export function ConflictList ({ draft, onKeep, onTake }: Props) {
  const list = conflicts(draft)
  return (
    <section class='conflicts' aria-labelledby='conflicts-title' role='alert'>
      <h2 id='conflicts-title'>Changed by someone else too (version {draft.latest.version})</h2>
      <ul>
        {list.map(({ field, mine, theirs }) => (
          <li key={field} data-field={field}>
            <strong>{labelOf(field)}</strong> <code class='name'>{field}</code>
            <span class='both'>yours: <code>{shown(mine)}</code>; theirs: <code>{shown(theirs)}</code></span>
            <span class='buttons'>
              <button type='button' aria-label={`Keep mine (${field})`} onClick={() => onKeep(field)}>Keep mine</button>
              <button type='button' aria-label={`Take theirs (${field})`} onClick={() => onTake(field)}>Take theirs</button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
