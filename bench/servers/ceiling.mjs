// The ceiling: bare Fastify answering GET /llm-config with the service's own object from
// memory (BENCH_BODY), serialized through the same response schema. What a read costs when
// nothing but the web framework runs.
import Fastify from 'fastify'
import { LlmConfig } from '../../dist/llm-config/config/schemas.js'
import { FORMATS } from '../../dist/llm-config/config/formats.js'

const body = JSON.parse(process.env.BENCH_BODY ?? '{}')
// The same formats the service teaches fast-json-stringify (api_url is anyOf string/null).
const formats = Object.fromEntries(Object.entries(FORMATS).map(([name, format]) => [name, format.validate]))
const app = Fastify({ serializerOpts: { ajv: { formats } } })
app.get('/llm-config', { schema: { response: { 200: LlmConfig } } }, async () => body)
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST })
