// Status at a glance: the version served, whether the live stream is connected, and the
// service's readiness (GET /readyz, checked again every 15 s).
import { useEffect, useState } from 'preact/hooks'
import type { LiveStatus } from '../live.js'

const LIVE_WORDS: Record<LiveStatus, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  closed: 'not connected'
}

const READINESS_EVERY_MS = 15_000

export function StatusBar ({ version, live }: { version: number | null, live: LiveStatus }) {
  const [ready, setReady] = useState<boolean | null>(null)
  useEffect(() => {
    const check = () => {
      fetch('/readyz', { cache: 'no-store', credentials: 'omit' }).then((r) => setReady(r.ok), () => setReady(false))
    }
    check()
    const timer = setInterval(check, READINESS_EVERY_MS)
    return () => clearInterval(timer)
  }, [])

  return (
    <dl class='status' aria-label='Status'>
      <div><dt>Version</dt><dd data-testid='version'>{version ?? '—'}</dd></div>
      <div><dt>Updates</dt><dd class={`dot dot-${live}`}>{LIVE_WORDS[live]}</dd></div>
      <div><dt>Service</dt><dd class={`dot dot-${ready === null ? 'connecting' : ready ? 'live' : 'reconnecting'}`}>{ready === null ? 'checking…' : ready ? 'ready' : 'not ready'}</dd></div>
    </dl>
  )
}
