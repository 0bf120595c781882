// The configuration's TypeScript type is generated from the committed openapi.json: this test
// fails when src/openapi-types.ts differs from a fresh generation (run the script to fix).
import { readFile } from 'node:fs/promises'
import t from 'tap'
// @ts-expect-error: a plain .mjs script without declarations
import { outputPath, readDocument, renderTypes } from '../scripts/generate-types.mjs'

t.test('src/openapi-types.ts matches openapi.json', async (t) => {
  const committed = await readFile(outputPath as string, 'utf8')
  t.equal(committed, (renderTypes as (document: unknown) => string)((readDocument as () => unknown)()),
    'regenerate with: node clients/typescript/scripts/generate-types.mjs')
})
