import t from 'tap'
import { parse } from 'yaml'
import { testApp } from '../helper.js'

interface Operation {
  summary?: string
  operationId?: string
  tags?: string[]
  security?: unknown[]
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> }
}

t.test('the OpenAPI document describes every route', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.openapi, '3.1.0')

  const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })))
  t.same(operations.map((o) => o.route).sort(), [
    'DELETE /llm-config', 'GET /healthz', 'GET /llm-config', 'GET /llm-config/credentials', 'GET /llm-config/history',
    'GET /llm-config/history/{version}', 'GET /llm-config/watch', 'GET /metrics', 'GET /readyz', 'GET /whoami', 'PATCH /llm-config', 'POST /llm-config/restore',
    'POST /llm-config/verify', 'PUT /llm-config'
  ])
  const operationIds = new Set<string>()
  for (const { route, op } of operations) {
    t.ok(op.summary, `${route} has a summary`)
    t.ok(op.operationId, `${route} has an operationId`)
    operationIds.add(String(op.operationId))
    t.ok(op.tags?.length, `${route} has tags`)
    t.ok(Object.keys(op.responses).length > 0, `${route} documents its responses`)
  }
  t.equal(operationIds.size, operations.length, 'operationIds are unique')

  for (const method of ['put', 'patch', 'delete']) {
    const op = doc.paths['/llm-config'][method] as Operation
    t.same(op.security, [{ bearerAuth: [] }], `${method} needs the bearer token`)
    t.same(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '412', '413', '415', '422', '429', '500', '503'])
    t.equal(op.responses['412']?.content?.['application/problem+json']?.schema.$ref, '#/components/schemas/Problem')
  }
  t.same(Object.keys(doc.paths['/llm-config'].get.responses).sort(), ['200', '304', '400', '401', '403', '412', '429', '500', '503'])
  t.same(doc.paths['/llm-config/credentials'].get.security, [{ bearerAuth: [] }])
  t.equal(doc.paths['/llm-config'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/LlmConfig')
  t.equal(doc.paths['/llm-config'].put.requestBody.content['application/json'].schema.$ref, '#/components/schemas/LlmConfigInput')
  t.ok(doc.paths['/llm-config'].patch.requestBody.content['application/merge-patch+json'], 'PATCH accepts merge-patch+json')
  t.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer')
  t.ok(doc.paths['/llm-config/watch'].get.responses['200'].content['text/event-stream'], 'the watch is described as text/event-stream')
  t.same(doc.paths['/llm-config/restore'].post.security, [{ bearerAuth: [] }])
})

t.test('components are named after their schemas, api_key is writeOnly', async (t) => {
  const { app } = await testApp(t)
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.same(Object.keys(doc.components.schemas).sort(), ['Credentials', 'HistoryEntry', 'HistoryPage', 'HistoryVersion', 'LlmConfig', 'LlmConfigInput', 'Problem', 'RestoreRequest',
    'VerifyModel', 'VerifyReport', 'VerifyTarget'])
  t.notMatch(JSON.stringify(doc), /def-\d/, 'no def-N names')
  const input = doc.components.schemas.LlmConfigInput
  t.equal(input.properties.api_key.anyOf[0].writeOnly, true)
  t.equal(input.additionalProperties, false)
  t.notOk('api_key' in doc.components.schemas.LlmConfig.properties, 'the key is not part of the response schema')
  for (const field of ['id', 'api_key_set', 'api_key_hint', 'created_at', 'updated_at', 'version']) {
    t.equal(doc.components.schemas.LlmConfig.properties[field].readOnly, true, `${field} is readOnly`)
  }
  t.notMatch(JSON.stringify(doc.components.schemas.LlmConfigInput), /"default"/, 'defaults come from the database, not the schema')
})

t.test('/docs/yaml is the same document, and Swagger UI is served from local assets', async (t) => {
  const { app } = await testApp(t)
  const json = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  const yaml = await app.inject({ method: 'GET', url: '/docs/yaml' })
  t.equal(yaml.statusCode, 200)
  t.same(parse(yaml.body), json)

  const ui = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger-ui/)
  t.notMatch(ui.body, /https?:\/\/(?!localhost)[^"']*\.(js|css)/, 'no assets from a CDN')
  const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })
  t.equal(bundle.statusCode, 200)
})
