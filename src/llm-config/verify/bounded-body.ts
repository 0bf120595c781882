// A provider's answer is read up to a limit: a model list is a few hundred kilobytes at most,
// and a server that sends more (by mistake or on purpose) must not fill the service's memory.
import { ProbeFailure } from './probe-failure.js'

export const BODY_LIMIT = 1024 * 1024 // 1 MiB

const tooLarge = (limit: number) => new ProbeFailure('unexpected_response', `the answer is larger than ${limit} bytes`)

/** The body as text; stops reading (and cancels the stream) past `limit` bytes. */
export async function readBounded (response: Response, limit = BODY_LIMIT): Promise<string> {
  if (Number(response.headers.get('content-length')) > limit) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge(limit)
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
