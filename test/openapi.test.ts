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
