// The last-known-good file (Node only: the client imports this module only when cacheFile is
// set, so a browser bundle never loads node:fs). Every write goes to a temporary file in the
// same directory, created with mode 0600, then renamed over the old one: rename(2) is atomic,
// so a reader (a worker starting while another writes) sees the old file or the new one,
// never half of one. The file names the service it came from; a file from another service,
// another format or a damaged one is refused, never trusted.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isServedConfig, type ServedConfig } from './served-config.js'

const FORMAT = '@llm-config/client cache'
const FORMAT_VERSION = 1

export interface CacheRecord {
  config: ServedConfig
  /** Only with cacheApiKey: true. */
  apiKey?: string | null
}

type Read = { kind: 'record', record: CacheRecord } | { kind: 'absent' } | { kind: 'refused', reason: string }

/** The file's configuration, if it is ours and for this service. */
export async function readCache (path: string, serviceUrl: string): Promise<Read> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' }
    return { kind: 'refused', reason: `it cannot be read (${(error as Error).message})` }
  }
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    return { kind: 'refused', reason: 'it is not JSON (damaged or foreign)' }
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== FORMAT || parsed.format_version !== FORMAT_VERSION) {
    return { kind: 'refused', reason: `it is not a ${FORMAT} file of version ${FORMAT_VERSION}` }
  }
  if (parsed.service !== serviceUrl) return { kind: 'refused', reason: 'it was written for another service URL' }
  if (!isServedConfig(parsed.config)) return { kind: 'refused', reason: 'its configuration is incomplete' }
  const record: CacheRecord = { config: parsed.config }
  if (typeof parsed.api_key === 'string' || parsed.api_key === null) record.apiKey = parsed.api_key
  return { kind: 'record', record }
}

export async function writeCache (path: string, serviceUrl: string, record: CacheRecord): Promise<void> {
  const body = {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    service: serviceUrl,
    saved_at: new Date().toISOString(),
    config: record.config,
    ...(record.apiKey === undefined ? {} : { api_key: record.apiKey })
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    // flag wx: a new file, so the mode applies (an existing file would keep its own).
    await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
