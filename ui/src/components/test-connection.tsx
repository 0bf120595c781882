// Test connection: POST /llm-config/verify with the unsaved values (the key too, if typed;
// the service stores nothing). It runs in the background with a Cancel button, so a slow or
// silent provider never blocks the page; afterwards each model field suggests the provider's models.
import { useEffect, useRef, useState } from 'preact/hooks'
import { describe, request } from '../api.js'
import type { Editor } from '../use-editor.js'
import { VerifyReportView, type VerifyReport } from './verify-report.js'

interface Props {
  token: string | null
  editor: Editor
  canEdit: boolean
  onModels: (models: Record<string, string[]>) => void
}

export function TestConnection ({ token, editor, canEdit, onModels }: Props) {
  const [running, setRunning] = useState<AbortController | null>(null)
  const [elapsed, setElapsed] = useState(0)
  const [report, setReport] = useState<VerifyReport | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const cancelButton = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (!running) return
    cancelButton.current?.focus()
    const started = Date.now()
    const timer = setInterval(() => setElapsed(Math.round((Date.now() - started) / 1000)), 1000)
    return () => clearInterval(timer)
  }, [running])
  useEffect(() => () => running?.abort(), [running])

  const run = async () => {
    const body = editor.unsaved()
    if (!body) return setFailure('Some values are not valid: see the marked fields.')
    const abort = new AbortController()
    setRunning(abort)
    setElapsed(0)
    setFailure(null)
    setReport(null)
    try {
      const { body: answer } = await request<VerifyReport>(token, 'POST', '/llm-config/verify', { body, signal: abort.signal })
      setReport(answer)
      const models: Record<string, string[]> = {}
      for (const target of answer.targets) if (target.models) models[target.role] = target.models
      onModels(models)
    } catch (error) {
      setFailure(abort.signal.aborted ? 'Test cancelled.' : `The test could not run: ${describe(error)}`)
    } finally {
      setRunning(null)
    }
  }

  return (
    <section class='card' aria-labelledby='test-title'>
      <h2 id='test-title'>Connection</h2>
      <p class='help'>Asks the provider, with the values in the form (saved or not), whether it answers and lists the configured models. Nothing is saved.</p>
      <div class='buttons'>
        <button type='button' onClick={run} disabled={!canEdit || running !== null}>Test connection</button>
        {running && <button type='button' ref={cancelButton} onClick={() => running.abort()}>Cancel</button>}
      </div>
      <div aria-live='polite'>
        {running && <p class='progress' role='status'><span class='spinner' aria-hidden='true' /> Testing… {elapsed} s</p>}
        {failure && <p class='error'>{failure}</p>}
      </div>
      {report && <VerifyReportView report={report} />}
    </section>
  )
}
