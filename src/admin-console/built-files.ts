// Where the console's built files (ui/dist, from `npm run build`) are. This module sits two
// folders below the repository root both as source (src/admin-console/) and as build output
// (dist/admin-console/), so its own URL finds them wherever the process was started from (a
// container's WORKDIR, a systemd unit). A build compiled outside the repository (tsc --outDir
// /tmp/…, LLM_CONFIG_SERVER_JS in the tests) has no ui/dist beside it: then the working
// directory's ui/dist, which is the repository root under npm start and the tests.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BESIDE_THE_BUILD = fileURLToPath(new URL('../../ui/dist', import.meta.url))

export function builtFiles (cwd: string = process.cwd()): string {
  const candidates = [BESIDE_THE_BUILD, join(cwd, 'ui', 'dist')]
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? BESIDE_THE_BUILD
}
