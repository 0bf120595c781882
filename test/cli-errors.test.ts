// How the CLI words answers that are not a success, against a stand-in service on loopback:
// each hint once, whatever the service's detail already says.
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'

const CLI = join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'llm-config.mjs')

async function answering (t: Test, status: number, headers: Record<string, string>, body: unknown): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function cli (url: string): Promise<{ code: number | null, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'get', '--url', url], { env: { PATH: process.env.PATH } }, (error, _stdout, stderr) => {
      resolve({ code: error ? (error as { code?: number }).code ?? null : 0, stderr })
    })
  })
}

t.test('a 429 whose detail already says when to retry gets no second retry hint', async (t) => {
  const url = await answering(t, 429, { 'retry-after': '60' }, { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Rate limit exceeded, retry in 1 minute' })
  const { code, stderr } = await cli(url)
  t.equal(code, 5, 'exit 5: retry later')
  t.equal(stderr.match(/retry/gi)?.length, 1, `one retry hint: ${stderr}`)
})

t.test('a 429 whose detail does not say when gets the Retry-After hint', async (t) => {
  const url = await answering(t, 429, { 'retry-after': '7' }, { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Too many failed authentications from this address.' })
  const { stderr } = await cli(url)
  t.match(stderr, /Retry in 7 s\./)
})
