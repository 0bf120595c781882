// The API key is never shown, nor sent back: the field says whether one is stored and its
// hint (…WXYZ), and offers Replace (a password input, kept in memory only until saved) and
// Clear. After a save the pending key is dropped from state, so the input and its value leave the DOM.
import { useEffect, useRef } from 'preact/hooks'
import type { KeyAction } from '../use-editor.js'

interface Props {
  set: boolean
  hint: string | null
  action: KeyAction
  error: string | undefined
  help: string
  readOnly: boolean
  onAction: (action: KeyAction) => void
}

export function ApiKeyField ({ set, hint, action, error, help, readOnly, onAction }: Props) {
  const input = useRef<HTMLInputElement>(null)
  const replacing = action?.kind === 'replace'
  // Replace key opens the input: the keyboard follows it there.
  useEffect(() => { if (replacing) input.current?.focus() }, [replacing])
  const stored = set ? `A key is stored (${hint ?? '…'})` : 'No key is stored'
  return (
    <div class={`field${action ? ' changed' : ''}${error ? ' invalid' : ''}`}>
      <span class='label' id='api-key-label'>API key{action && <span class='badge'> (unsaved)</span>}</span>
      <p class='key-state' id='api-key-state'>
        {action?.kind === 'clear' ? `${stored}: it will be cleared when you save.` : stored}
      </p>
      {action?.kind === 'replace' && (
        <>
          <label for='field-api_key'>New API key</label>
          <input
            id='field-api_key' name='api_key' type='password' autocomplete='off' spellcheck={false} value={action.value}
            aria-describedby={`api-key-state field-api_key-help${error ? ' field-api_key-error' : ''}`} aria-invalid={error ? 'true' : undefined}
            onInput={(e) => onAction({ kind: 'replace', value: e.currentTarget.value })}
          />
        </>
      )}
      <p id='field-api_key-help' class='help'>{help}</p>
      {error && <p id='field-api_key-error' class='error'>{error}</p>}
      {!readOnly && (
        <div class='buttons'>
          {action === null && <button type='button' onClick={() => onAction({ kind: 'replace', value: '' })}>Replace key</button>}
          {action === null && set && <button type='button' onClick={() => onAction({ kind: 'clear' })}>Clear key</button>}
          {action !== null && <button type='button' onClick={() => onAction(null)}>Keep the stored key</button>}
        </div>
      )}
    </div>
  )
}
