// The console's build: Preact through Vite's own JSX transform (Oxc), served under /admin/.
// Two small plugins of our own: the settings' rules taken from the OpenAPI document at build
// time (virtual:llm-config-rules), and the gzipped total of what the page ships, checked
// against the 100 KB budget of issue 13.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import { rulesOf } from './src/schema.js'

const BUDGET_BYTES = 100 * 1024
const RULES_ID = 'virtual:llm-config-rules'

function llmConfigRules (): Plugin {
  const document = new URL('../openapi.json', import.meta.url)
  return {
    name: 'llm-config-rules',
    resolveId: (id) => (id === RULES_ID ? `\0${RULES_ID}` : undefined),
    load (id) {
      if (id !== `\0${RULES_ID}`) return undefined
      this.addWatchFile(document.pathname)
      return `export default ${JSON.stringify(rulesOf(JSON.parse(readFileSync(document, 'utf8'))))}`
    }
  }
}

function gzipBudget (): Plugin {
  return {
    name: 'gzip-budget',
    apply: 'build',
    generateBundle (_options, bundle) {
      let total = 0
      for (const file of Object.values(bundle)) {
        if (!/\.(js|css)$/.test(file.fileName)) continue
        total += gzipSync(file.type === 'chunk' ? file.code : file.source).length
      }
      const kb = (total / 1024).toFixed(1)
      console.log(`\nadmin console: JS + CSS ${kb} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`)
      if (total > BUDGET_BYTES) this.error(`the admin console ships ${kb} KB gzipped, over its budget of ${BUDGET_BYTES / 1024} KB`)
    }
  }
}

export default defineConfig({
  base: '/admin/',
  root: new URL('.', import.meta.url).pathname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No data: URLs for scripts or styles: the CSP allows them for images only.
    assetsInlineLimit: 0,
    // One entry, no lazy chunks: the preload polyfill would be dead weight.
    modulePreload: { polyfill: false },
    target: 'es2022'
  },
  plugins: [llmConfigRules(), gzipBudget()]
})
