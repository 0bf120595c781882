// What POST /llm-config/verify found, per target (reachable, status, latency, auth, the error
// in words) and per configured model (found or missing in the provider's list).
import { labelOf } from '../fields.js'

export interface VerifyTarget {
  role: 'primary' | 'backup'
  provider: string
  url: string | null
  key_sent: boolean
  reachable: boolean
  status: number | null
  latency_ms: number | null
  auth_accepted: boolean | null
  error: string | null
  detail: string | null
  models: string[] | null
}
export interface VerifyModel { setting: string, model: string, target: string, provider: string, available: boolean | null }
export interface VerifyReport { ok: boolean, targets: VerifyTarget[], models: VerifyModel[] }

const ERROR_WORDS: Record<string, string> = {
  unreachable: 'Could not connect to the provider',
  timeout: 'The provider did not answer in time',
  tls: 'The TLS connection failed (certificate or protocol)',
  auth_failed: 'The provider refused the API key',
  rate_limited: 'The provider is rate-limiting these calls',
  unexpected_response: 'The provider gave an answer that is not a model list'
}

const yesNo = (value: boolean | null, yes: string, no: string) => value === null ? 'unknown' : value ? yes : no

export function VerifyReportView ({ report }: { report: VerifyReport }) {
  return (
    <div class='report'>
      <p class={report.ok ? 'ok' : 'bad'}><strong>{report.ok ? 'Everything answered and every model was found.' : 'Some checks failed.'}</strong></p>
      {report.targets.map((target) => (
        <div key={target.role} class='target'>
          <h4>{target.role === 'primary' ? 'Provider' : 'Backup provider'}: {target.provider}</h4>
          <dl>
            <dt>URL</dt><dd>{target.url ?? '(none)'}</dd>
            <dt>Reachable</dt><dd>{target.reachable ? `yes (HTTP ${target.status ?? '?'})` : 'no'}</dd>
            <dt>Latency</dt><dd>{target.latency_ms === null ? '—' : `${target.latency_ms} ms`}</dd>
            <dt>Key</dt><dd>{target.key_sent ? yesNo(target.auth_accepted, 'accepted', 'refused') : 'not sent'}</dd>
            {target.error && <><dt>Problem</dt><dd class='bad'>{ERROR_WORDS[target.error] ?? target.error}{target.detail ? ` (${target.detail})` : ''}</dd></>}
          </dl>
        </div>
      ))}
      {report.models.length > 0 && (
        <table class='models'>
          <caption>Configured models</caption>
          <thead><tr><th scope='col'>Setting</th><th scope='col'>Model</th><th scope='col'>Found</th></tr></thead>
          <tbody>
            {report.models.map((model) => (
              <tr key={model.setting}>
                <th scope='row'>{labelOf(model.setting)}</th>
                <td><code>{model.model}</code></td>
                <td class={model.available === false ? 'bad' : model.available ? 'ok' : ''}>{yesNo(model.available, 'found', 'missing')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
