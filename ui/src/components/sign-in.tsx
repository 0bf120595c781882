// Sign in with a token (a password field: it is a secret), or, signed in, the token's name and
// role and Sign out. A refused token is said plainly, in an alert that screen readers announce.
import { useState } from 'preact/hooks'
import type { Identity } from '../api.js'

interface Props {
  identity: Identity | null
  refused: string | null
  onSignIn: (token: string) => Promise<void>
  onSignOut: () => void
}

export function SignIn ({ identity, refused, onSignIn, onSignOut }: Props) {
  const [token, setToken] = useState('')
  const [busy, setBusy] = useState(false)

  if (identity && identity.role !== 'anonymous') {
    return (
      <div class='who'>
        <span>Signed in as <strong>{identity.name}</strong> <span class={`role role-${identity.role}`}>{identity.role}</span></span>
        <button type='button' onClick={onSignOut}>Sign out</button>
      </div>
    )
  }

  const submit = async (event: Event) => {
    event.preventDefault()
    if (token.trim() === '') return
    setBusy(true)
    try {
      await onSignIn(token.trim())
    } finally {
      setBusy(false)
      setToken('') // the field never keeps the token; sessionStorage does, for this tab
    }
  }

  return (
    <form class='sign-in' onSubmit={submit}>
      {identity?.role === 'anonymous' && <span class='role role-anonymous'>browsing read-only</span>}
      <label for='token'>Token</label>
      <input
        id='token' name='token' type='password' autocomplete='off' spellcheck={false} value={token}
        onInput={(e) => setToken(e.currentTarget.value)} aria-describedby={refused ? 'sign-in-error' : undefined} aria-invalid={refused ? 'true' : undefined}
      />
      <button type='submit' disabled={busy}>Sign in</button>
      {refused && <p id='sign-in-error' class='error' role='alert'>{refused}</p>}
    </form>
  )
}
