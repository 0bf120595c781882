// Ready and live against the real service; a change reaches the client within the spec's
// bound (1 s) with the right `changed` fields; the task plans follow the table of issue 12.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { within } from '../../../test/support/server-process.js'
import { LlmConfigClient } from '../src/index.js'
import { patch, service } from './support/service.js'
import { nextChange } from './support/wait.js'

// One service for the file (a start costs seconds on a loaded machine); each test has its own
// client and waits only for the changes it makes.
const { url } = await service(t)

t.test('ready, live, and a change seen within 1 s with its changed fields', async (t) => {
  const client = new LlmConfigClient({ url })
  t.teardown(() => client.close())
  const statuses: string[] = []
  client.on('status', (status) => statuses.push(status))
  t.equal(client.status, 'initializing')
  t.equal(client.config, undefined)
  t.throws(() => client.task('tagger'), /no configuration yet/)

  await client.ready({ timeoutMs: 10_000 })
  t.equal(client.status, 'live')
  t.same(statuses, ['live'])
  const served = await (await fetch(`${url}/llm-config`)).json() as Record<string, unknown>
  t.same(client.config, served, 'the configuration exactly as GET /llm-config serves it')

  const latencies: number[] = []
  for (let batch = 2; batch <= 6; batch++) {
    const seen = nextChange(client, (event) => event.current.batch_size === batch)
    const written = await patch(url, { batch_size: batch })
    const acknowledged = performance.now()
    const change = await seen
    latencies.push(Math.max(0, performance.now() - acknowledged))
    t.equal(change.current.version, written.version)
    t.equal(change.previous.version, written.version - 1)
    t.same(change.changed, ['batch_size', 'updated_at', 'version'])
  }
  const worst = Math.max(...latencies)
  t.comment(`change propagation after the write's acknowledgement: max ${worst.toFixed(1)} ms over ${latencies.length} writes`)
  t.ok(worst < 1000, `every change within 1 s (max ${worst.toFixed(1)} ms)`)

  const toggled = nextChange(client, (event) => event.changed.includes('auto_tagging'))
  await patch(url, { enabled: true, auto_tagging: false, model_responder: 'gpt-4o' })
  const { changed } = await toggled
  t.same(changed, ['auto_tagging', 'enabled', 'model_responder', 'updated_at', 'version'])
  t.equal(client.task('tagger').enabled, false)
  t.equal(client.task('responder').model, 'gpt-4o')
  t.equal(client.task('responder').enabled, true)
  t.equal(client.status, 'live')
})

t.test('task plans follow the configuration', async (t) => {
  const client = new LlmConfigClient({ url })
  t.teardown(() => client.close())
  await client.ready()
  const seen = nextChange(client, (event) => event.current.backup_provider === 'ollama')
  await patch(url, { provider: 'openai', model_tagger: 'gpt-4o-mini', model_enricher: 'gpt-4o', external_enrichment: true, backup_provider: 'ollama', backup_model: null, min_confidence_tagging: 0.7, min_confidence_entity: 0.8, retry_delay: 3 })
  await seen
  const config = client.config
  if (config === undefined) throw new Error('no configuration')
  const tagger = client.task('tagger')
  t.same(tagger, {
    task: 'tagger',
    enabled: config.enabled && config.auto_tagging,
    provider: 'openai',
    model: 'gpt-4o-mini',
    api_url: config.api_url,
    max_retries: config.max_retries,
    retry_delay_s: 3,
    batch_size: config.batch_size,
    concurrent_tasks: config.concurrent_tasks,
    cache_responses: config.cache_responses,
    min_confidence: 0.7,
    external_allowed: false,
    version: config.version,
    fallback: { provider: 'ollama', model: 'gpt-4o-mini' }
  })
  t.notOk('api_key' in tagger, 'no token: no api_key in the plan')
  t.equal(client.task('enricher').min_confidence, 0.8)
  t.equal(client.task('enricher').external_allowed, true)
  t.same(client.task('enricher').fallback, { provider: 'ollama', model: 'gpt-4o' })
  t.equal(client.task('analytics').min_confidence, null)
  t.throws(() => client.task('summarizer'), /unknown task "summarizer": the tasks are tagger, enricher, analytics, responder/)
})

t.test('close() ends the stream and every timer: the process exits on its own', async (t) => {
  const loader = import.meta.resolve('@tapjs/typescript/import') // tap's own TypeScript loader
  const child = spawn(process.execPath, ['--import', loader, fileURLToPath(new URL('fixtures/exit-after-close.ts', import.meta.url)), url], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const code = await within(60_000, 'the worker to exit after close()', new Promise((resolve) => child.once('exit', resolve)))
  t.equal(code, 0)
  t.match(output, /closed at version \d+/)
})
