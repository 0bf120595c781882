// The cache file as the client uses it: node:fs is loaded (dynamically) only when a cacheFile
// is configured, so the client still runs in a browser without one. Writes are queued so that
// they land in version order; a failed write is a warning, never an error of the client.
import type { CacheRecord } from './cache-file.js'

export class LastKnownGood {
  private readonly module = import('./cache-file.js')
  private writes: Promise<void> = Promise.resolve()

  constructor (
    private readonly path: string,
    private readonly serviceUrl: string,
    private readonly warn: (message: string) => void
  ) {}

  /** The file's record, or undefined (absent, or refused with a warning). */
  async read (): Promise<CacheRecord | undefined> {
    try {
      const { readCache } = await this.module
      const read = await readCache(this.path, this.serviceUrl)
      if (read.kind === 'record') return read.record
      if (read.kind === 'refused') this.warn(`ignoring the cache file ${this.path}: ${read.reason}`)
    } catch (error) {
      this.warn(`ignoring the cache file ${this.path}: ${(error as Error).message}`)
    }
    return undefined
  }

  write (record: CacheRecord): void {
    this.writes = this.writes.then(async () => {
      const { writeCache } = await this.module
      await writeCache(this.path, this.serviceUrl, record)
    }).catch((error: unknown) => this.warn(`could not write the cache file ${this.path}: ${(error as Error).message}`))
  }

  /** Resolves once every queued write is done. */
  flushed (): Promise<void> {
    return this.writes
  }
}
