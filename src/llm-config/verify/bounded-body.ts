// A provider's answer is read up to a limit: a model list is a few hundred kilobytes at most,
// and a server that sends more (by mistake or on purpose) must not fill the service's memory.
import type { IncomingMessage } from 'node:http'
import { ProbeFailure } from './probe-failure.js'

export const BODY_LIMIT = 1024 * 1024 // 1 MiB

const tooLarge = (limit: number) => new ProbeFailure('unexpected_response', `the answer is larger than ${limit} bytes`)

/** The body as text; stops reading (and closes the connection) past `limit` bytes. */
export async function readBounded (response: IncomingMessage, limit = BODY_LIMIT): Promise<string> {
  if (Number(response.headers['content-length']) > limit) {
    response.destroy()
    throw tooLarge(limit)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > limit) {
      response.destroy()
      throw tooLarge(limit)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
