// The configuration in the seed's groups, with Save. Admins edit; readers and consumers see
// the same form disabled. Save sends a merge patch of the changed fields with If-Match.
import { conflicts, valueOf } from '../draft.js'
import { GROUPED } from '../fields.js'
import type { Role } from '../api.js'
import type { Editor } from '../use-editor.js'
import { ApiKeyField } from './api-key-field.js'
import { ConflictList } from './conflict-list.js'
import { SettingField, type FieldState } from './setting-field.js'
import { UpdateNotice } from './update-notice.js'

interface Props { editor: Editor, canEdit: boolean, role: Role, suggestions: Record<string, string[]> }

const MODEL_LISTS: Record<string, string> = {
  model_tagger: 'primary', model_enricher: 'primary', model_analytics: 'primary', model_responder: 'primary', backup_model: 'backup'
}

export function SettingsForm ({ editor, canEdit, role, suggestions }: Props) {
  const { draft } = editor
  if (editor.loadError) return <section class='settings'><p class='error' role='alert'>The configuration could not be read: {editor.loadError}</p></section>
  if (!draft) return <section class='settings'><p role='status'>Loading the configuration…</p></section>
  const conflicted = new Set(conflicts(draft).map((c) => c.field))
  const stateOf = (name: string): FieldState => {
    const change = draft.changes[name]
    const theirs = draft.latest[name] ?? null
    return {
      value: valueOf(draft, name),
      changed: change !== undefined,
      kept: change && change.base !== theirs ? { theirs, conflict: conflicted.has(name) } : null,
      error: editor.errors[name]
    }
  }
  const submit = (event: Event) => {
    event.preventDefault()
    editor.save().catch(() => {})
  }
  return (
    <form class='settings' onSubmit={submit} noValidate aria-labelledby='settings-title'>
      <div class='settings-head'>
        <h2 id='settings-title'>Settings</h2>
        {!canEdit && <p class='read-only'>Read-only: {role === 'anonymous' ? 'sign in with an admin token to change settings.' : `a ${role} token cannot change settings.`}</p>}
      </div>
      {editor.arrived && <UpdateNotice arrived={editor.arrived} onDismiss={() => editor.dismissArrived()} />}
      {editor.showConflicts && <ConflictList draft={draft} onKeep={(field) => editor.keep(field)} onTake={(field) => editor.take(field)} />}
      <fieldset class='groups' disabled={!canEdit}>
        <legend class='visually-hidden'>Settings</legend>
        {GROUPED.map((group) => (
          <fieldset key={group.title} class='group'>
            <legend>{group.title}</legend>
            {group.fields.map((field) => field.name === 'api_key'
              ? <ApiKeyField
                  key='api_key' set={draft.latest.api_key_set === true} hint={(draft.latest.api_key_hint as string | null) ?? null}
                  action={editor.key} error={editor.errors.api_key} help={field.help} readOnly={!canEdit} onAction={(action) => editor.setKey(action)}
                />
              : <SettingField
                  key={field.name} field={field} state={stateOf(field.name)} onChange={(value) => editor.set(field.name, value)}
                  list={MODEL_LISTS[field.name] && suggestions[MODEL_LISTS[field.name]!] ? `models-${MODEL_LISTS[field.name]}` : undefined}
                />)}
          </fieldset>
        ))}
      </fieldset>
      {Object.entries(suggestions).map(([target, models]) => (
        <datalist key={target} id={`models-${target}`}>{models.map((model) => <option key={model} value={model} />)}</datalist>
      ))}
      <div class='save-bar'>
        <button type='submit' class='primary' disabled={!canEdit || editor.saving || !editor.dirty}>Save</button>
        {canEdit && <span class={`dirty${editor.dirty ? ' is-dirty' : ''}`}>{editor.dirty ? 'Unsaved changes' : 'No unsaved changes'}</span>}
        <span class='message' role='status'>{editor.message}</span>
      </div>
    </form>
  )
}
