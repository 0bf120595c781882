// The page: who is signed in, the status at a glance, the settings, the connection test and
// the history. Everything below speaks only to the public API, with the person's token.
import { useEffect, useState } from 'preact/hooks'
import type { Identity } from './api.js'
import { HistorySection } from './components/history-section.js'
import { SettingsForm } from './components/settings-form.js'
import { SignIn } from './components/sign-in.js'
import { StatusBar } from './components/status-bar.js'
import { TestConnection } from './components/test-connection.js'
import { forgetToken, storeToken, storedToken, whoAmI } from './session.js'
import { useEditor } from './use-editor.js'

interface Session { token: string | null, identity: Identity | null, refused: string | null, checked: boolean }

export function App () {
  const [session, setSession] = useState<Session>({ token: storedToken(), identity: null, refused: null, checked: false })
  const [suggestions, setSuggestions] = useState<Record<string, string[]>>({})
  const editor = useEditor(session.token, session.identity !== null)
  const canEdit = session.identity?.role === 'admin'

  const identify = async (token: string | null, fromForm = false) => {
    const answer = await whoAmI(token).catch(() => ({ refused: 'The service could not be reached.', status: 0 }))
    if ('identity' in answer) {
      if (token) storeToken(token)
      setSession({ token, identity: answer.identity, refused: null, checked: true })
      return
    }
    if (token && answer.status === 401) forgetToken()
    // A stored token that no longer works: fall back to browsing without one, if reads are open.
    if (token && !fromForm) return await identify(null)
    setSession((before) => ({ token: fromForm ? before.token : null, identity: fromForm ? before.identity : null, refused: answer.refused, checked: true }))
  }

  useEffect(() => { identify(session.token).catch(() => {}) }, [])

  // Leaving with unsaved changes asks first (https://html.spec.whatwg.org/multipage/nav-history-apis.html#the-beforeunloadevent-interface).
  useEffect(() => {
    if (!editor.dirty) return
    const warn = (event: BeforeUnloadEvent) => { event.preventDefault() }
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [editor.dirty])

  const signOut = () => {
    forgetToken()
    setSuggestions({})
    setSession({ token: null, identity: null, refused: null, checked: false })
    identify(null).catch(() => {})
  }

  return (
    <>
      <header class='top'>
        <div class='brand'>
          <h1>LLM configuration</h1>
          <StatusBar version={editor.draft?.latest.version ?? null} live={editor.live} />
        </div>
        <SignIn identity={session.identity} refused={session.refused} onSignIn={(token) => identify(token, true)} onSignOut={signOut} />
      </header>
      <main>
        {!session.checked && <p role='status'>Loading…</p>}
        {session.checked && !session.identity && <p class='hint'>Sign in with a token to see the configuration.</p>}
        {session.identity && (
          <div class='columns'>
            <SettingsForm editor={editor} canEdit={canEdit} role={session.identity.role} suggestions={suggestions} />
            <aside class='side'>
              <TestConnection token={session.token} editor={editor} canEdit={canEdit} onModels={setSuggestions} />
              <HistorySection token={session.token} editor={editor} canEdit={canEdit} />
            </aside>
          </div>
        )}
      </main>
    </>
  )
}
