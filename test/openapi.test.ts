// The OpenAPI document as a product: the committed openapi.json is what the code generates,
// and every example in it is valid against its schema, with the formats the service itself
// checks (http-url, api-key, date-time from plugins/validation.ts): the linters know none of
// them, and Swagger UI's "Try it out" starts from these examples.
import { readFile } from 'node:fs/promises'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import t, { type Test } from 'tap'
import { FORMATS } from '../src/llm-config/config/formats.js'
import { testApp } from './helper.js'

// ajv-formats is CommonJS: its default export arrives wrapped under ESM (as in plugins/validation.ts).
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const COMMITTED = new URL('../openapi.json', import.meta.url)
const DOCUMENT_ID = 'https://llm-config-service.invalid/openapi.json'

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value)
const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

async function generatedDocument (t: Test): Promise<JsonObject> {
  const { app } = await testApp(t)
  return JSON.parse(JSON.stringify(app.swagger())) as JsonObject
}

t.test('openapi.json is the document the code generates', async (t) => {
  const generated = await generatedDocument(t)
  let committed: Json
  try {
    committed = JSON.parse(await readFile(COMMITTED, 'utf8')) as Json
  } catch (error) {
    t.fail(`openapi.json cannot be read (${(error as Error).message}): run \`npm run openapi\` and commit it`)
    return
  }
  t.strictSame(committed, generated, 'openapi.json is out of date: run `npm run openapi` and commit the result')
})

interface Example { where: string, schemaAt: string, value: Json }

/** Every example in the document, with the JSON Pointer of the schema it must match. */
function examplesIn (node: Json, pointer = ''): Example[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => examplesIn(item, `${pointer}/${i}`))
  if (!isObject(node)) return []
  const found: Example[] = []
  // A Schema Object's `examples` is an array (JSON Schema 2020-12).
  if (Array.isArray(node.examples)) {
    node.examples.forEach((value, i) => found.push({ where: `${pointer}/examples/${i}`, schemaAt: pointer, value }))
  }
  // A Media Type or Parameter Object: `example`, or `examples` as a map of Example Objects.
  if (isObject(node.schema)) {
    if ('example' in node) found.push({ where: `${pointer}/example`, schemaAt: `${pointer}/schema`, value: node.example ?? null })
    if (isObject(node.examples)) {
      for (const [name, example] of Object.entries(node.examples)) {
        if (isObject(example) && 'value' in example) found.push({ where: `${pointer}/examples/${escape(name)}`, schemaAt: `${pointer}/schema`, value: example.value ?? null })
      }
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'example' && key !== 'examples') found.push(...examplesIn(value, `${pointer}/${escape(key)}`))
  }
  return found
}

t.test('every example in the document is valid against its schema', async (t) => {
  const document = await generatedDocument(t)
  // The whole document is added as one schema, so the examples' $refs (#/components/schemas/…) resolve.
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true, validateSchema: false }))
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format.validate)
  ajv.addSchema(document, DOCUMENT_ID)

  const examples = examplesIn(document)
  t.ok(examples.length > 30, `examples found (${examples.length})`)
  for (const { where, schemaAt, value } of examples) {
    const validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${schemaAt}` })
    t.ok(validate(value), `${where} matches ${schemaAt}`, { errors: validate.errors })
  }
})

t.test('every request body and every response with a body shows an example', async (t) => {
  const document = await generatedDocument(t)
  const schemas = (document.components as JsonObject).schemas as JsonObject
  // A media type shows an example of its own, or its schema (a $ref to a component) has some.
  const hasExample = (media: JsonObject) => {
    if ('example' in media || isObject(media.examples)) return true
    const schema = media.schema as JsonObject
    const target = typeof schema.$ref === 'string' ? schemas[schema.$ref.replace('#/components/schemas/', '')] : schema
    return isObject(target) && Array.isArray(target.examples) && target.examples.length > 0
  }
  for (const [path, methods] of Object.entries(document.paths as JsonObject)) {
    for (const [method, operation] of Object.entries(methods as JsonObject) as Array<[string, JsonObject]>) {
      const route = `${method.toUpperCase()} ${path}`
      const bodies: Array<[string, JsonObject]> = []
      if (isObject(operation.requestBody)) bodies.push(['request', operation.requestBody])
      for (const [status, response] of Object.entries(operation.responses as JsonObject)) bodies.push([status, response as JsonObject])
      for (const [which, body] of bodies) {
        for (const [type, media] of Object.entries((body.content ?? {}) as JsonObject)) {
          t.ok(hasExample(media as JsonObject), `${route} ${which} ${type} has an example`)
        }
      }
    }
  }
})

t.test('the document says what the service does: statuses, response headers, writable input, enforceable formats, the package\'s version', async (t) => {
  const document = await generatedDocument(t) as any
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(document.info.version, pkg.version, 'info.version is package.json\'s')
  const get = document.paths['/llm-config'].get.responses
  t.ok(get['400'], 'GET /llm-config can answer 400 (?consistent=maybe)')
  t.ok(document.paths['/llm-config/restore'].post.responses['413'], 'restore can answer 413')
  t.ok(get['200'].headers.etag && get['304'].headers.etag && get['412'].headers.etag, 'ETag on GET\'s 200, 304 and 412')
  for (const method of ['put', 'patch', 'delete']) {
    const responses = document.paths['/llm-config'][method].responses
    t.ok(responses['200'].headers.etag, `${method}: ETag on 200`)
    t.ok(responses['401'].headers['www-authenticate'], `${method}: WWW-Authenticate on 401`)
    t.ok(responses['429'].headers['retry-after'] && responses['503'].headers['retry-after'], `${method}: Retry-After on 429 and 503`)
  }
  t.ok(document.paths['/llm-config'].patch.responses['415'].headers['accept-patch'], 'Accept-Patch on PATCH\'s 415')
  t.same(document.paths['/llm-config/credentials'].get.responses['200'].headers['cache-control'].schema, { type: 'string', const: 'no-store' })

  const { LlmConfig, LlmConfigInput } = document.components.schemas
  for (const field of ['id', 'api_key_set', 'api_key_hint', 'created_at', 'updated_at', 'version']) {
    t.equal(LlmConfig.properties[field].readOnly, true, `LlmConfig.${field} is readOnly`)
    t.notOk(LlmConfigInput.properties[field].readOnly, `LlmConfigInput.${field} is not: a GET body sent back stays valid`)
    t.match(LlmConfigInput.properties[field].description, /accepted and ignored/)
  }

  // The patterns say what the formats say, for the values a client would send.
  const urlPattern = new RegExp(LlmConfigInput.properties.api_url.anyOf[0].pattern, 'u')
  const keyPattern = new RegExp(LlmConfigInput.properties.api_key.anyOf[0].pattern, 'u')
  for (const url of ['http://localhost:11434', 'HTTPS://api.example.com/v1', 'ftp://x', '/v1', 'http:example.com', 'http://exa mple.com', 'http:///x']) {
    t.equal(urlPattern.test(url), FORMATS['http-url']?.validate(url), `http-url pattern and format agree on ${url}`)
  }
  for (const key of ['sk-0123456789abcdef', '…WXYZ', 'llmcfg:v1:abc', 'x']) {
    t.equal(keyPattern.test(key), FORMATS['api-key']?.validate(key), `api-key pattern and format agree on ${key}`)
  }
})
