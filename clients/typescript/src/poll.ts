// One conditional GET /llm-config: 304 while the version the client holds is current
// (the ETag is the version, RFC 9110 §13.1.2), the configuration when it is not.
import { deadline, failureOf, headers, networkFailure, type Failure, type HttpContext } from './http.js'
import { isServedConfig, type ServedConfig } from './served-config.js'

export type PollOutcome =
  | { kind: 'unchanged' }
  | { kind: 'config', config: ServedConfig }
  | Failure

const what = 'reading the configuration'

export async function pollOnce (context: HttpContext, heldVersion: number | undefined): Promise<PollOutcome> {
  const { signal, clear } = deadline(context, context.requestTimeoutMs)
  try {
    const response = await context.fetch(`${context.baseUrl}/llm-config`, {
      headers: headers(context, {
        accept: 'application/json',
        ...(heldVersion === undefined ? {} : { 'if-none-match': `"${heldVersion}"` })
      }),
      signal
    })
    if (response.status === 304) return { kind: 'unchanged' }
    if (!response.ok) return await failureOf(response, context, what)
    const config: unknown = await response.json()
    if (!isServedConfig(config)) return networkFailure(new Error('the answer is not a configuration'), context, what)
    return { kind: 'config', config }
  } catch (error) {
    return networkFailure(error, context, what)
  } finally {
    clear()
  }
}
