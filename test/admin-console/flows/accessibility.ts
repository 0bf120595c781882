// axe-core (https://github.com/dequelabs/axe-core) on the page as it is: no serious or critical violation.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import type { Test } from 'tap'

const AXE_SOURCE = readFileSync(fileURLToPath(new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8')

interface Violation { id: string, impact: string | null, help: string, nodes: Array<{ target: string[] }> }

export async function axeCheck (t: Test, page: Page, state: string) {
  // Evaluated, not added as a <script>: the page's CSP refuses inline scripts, as it should.
  if (await page.evaluate('typeof window.axe') === 'undefined') await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate('window.axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)') as Violation[]
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)
  t.same(grave, [], `axe-core: no serious or critical violation (${state})`)
  const minor = violations.filter((v) => !(v.impact === 'serious' || v.impact === 'critical')).map((v) => v.id)
  if (minor.length > 0) t.comment(`axe-core, minor (${state}): ${minor.join(', ')}`)
}
