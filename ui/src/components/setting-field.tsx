// One setting: its label, its input (named as the API names the field), its help text, and,
// beside it, what is wrong with it or what happened to it meanwhile. Enums are selects,
// booleans checkboxes, numbers number inputs with the API's bounds.
import type { Value } from '../draft.js'
import { shown } from '../draft.js'
import type { Field } from '../fields.js'

export interface FieldState {
  value: Value
  changed: boolean
  /** Set by someone else meanwhile; the person's own value is kept. */
  kept: { theirs: Value, conflict: boolean } | null
  error: string | undefined
}

interface Props {
  field: Field
  state: FieldState
  onChange: (value: Value) => void
  /** The id of a datalist of suggestions (model fields, after a connection test). */
  list?: string
}

/** The typed text as the API's type: numbers as numbers when they parse, empty as null where allowed. */
function parse (field: Field, text: string): Value {
  const { kind, nullable } = field.rule
  if (text === '') return nullable ? null : ''
  if (kind === 'integer' || kind === 'number') {
    const number = Number(text)
    return Number.isFinite(number) ? number : text
  }
  return text
}

export function SettingField ({ field, state, onChange, list }: Props) {
  const { name, label, help, rule } = field
  const id = `field-${name}`
  const described = [`${id}-help`, state.error ? `${id}-error` : '', state.kept ? `${id}-kept` : ''].filter(Boolean).join(' ')
  const common = {
    id,
    name,
    'aria-describedby': described,
    'aria-invalid': state.error ? ('true' as const) : undefined
  }
  let input
  if (rule.kind === 'boolean') {
    input = <input {...common} type='checkbox' checked={state.value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
  } else if (rule.kind === 'enum') {
    input = (
      <select {...common} value={state.value === null ? '' : String(state.value)} onChange={(e) => onChange(parse(field, e.currentTarget.value))}>
        {rule.nullable && <option value=''>(none)</option>}
        {rule.options?.map((option) => <option key={option} value={option}>{option}</option>)}
      </select>
    )
  } else if (rule.kind === 'integer' || rule.kind === 'number') {
    input = (
      <input
        {...common} type='number' inputMode={rule.kind === 'integer' ? 'numeric' : 'decimal'} min={rule.minimum} max={rule.maximum}
        step={rule.kind === 'integer' ? 1 : 0.01} value={state.value === null ? '' : String(state.value)} onInput={(e) => onChange(parse(field, e.currentTarget.value))}
      />
    )
  } else {
    input = (
      <input
        {...common} type={rule.format === 'http-url' ? 'url' : 'text'} maxLength={rule.maxLength} list={list} autocomplete='off' spellcheck={false}
        value={state.value === null ? '' : String(state.value)} onInput={(e) => onChange(parse(field, e.currentTarget.value))}
      />
    )
  }
  const classes = ['field', rule.kind === 'boolean' ? 'field-check' : '', state.changed ? 'changed' : '', state.kept ? 'kept' : '', state.error ? 'invalid' : '']
  return (
    <div class={classes.filter(Boolean).join(' ')}>
      <label for={id}>{label}{state.changed && <span class='badge'> (unsaved)</span>}</label>
      {input}
      <p id={`${id}-help`} class='help'>{help}</p>
      {state.kept && (
        <p id={`${id}-kept`} class='kept-note'>
          {state.kept.conflict ? 'Also changed by someone else, to ' : 'Changed meanwhile to '}
          <code>{shown(state.kept.theirs)}</code>{state.kept.conflict ? ': yours is kept until you choose.' : '.'}
        </p>
      )}
      {state.error && <p id={`${id}-error`} class='error'>{state.error}</p>}
    </div>
  )
}
