// The replica's copy of the current configuration, kept fresh by NOTIFY (plugins/propagation.ts)
// and by its own writes. Reads are answered from here while it can be trusted: the listening
// connection is up and the copy was read after it (re)started listening. Otherwise reads go
// to the database. The copy only ever moves forward (by version), so a replica never serves
// a version older than one it has seen, its own writes included.
import { EventEmitter } from 'node:events'
import type { Snapshot } from '../config/repository.js'

export class LiveConfig {
  private current: Snapshot | undefined
  private listening = false
  /** 'version' (Snapshot): each newer version this replica learns of, in increasing order of versions. */
  readonly events = new EventEmitter()
  /** Reads answered from the copy (hits) or, because it was not trusted, from the database (misses). */
  readonly reads = { hits: 0, misses: 0 }
  /** SSE watchers connected (watch/routes.ts keeps the count; its fan-out is the one listener of 'version'). */
  watchers = 0

  /** The current configuration, when it can be served without asking the database. */
  get trusted (): Snapshot | undefined {
    return this.listening ? this.current : undefined
  }

  /** The copy for a read, counting the hit or the miss; undefined: read the database. */
  forRead (): Snapshot | undefined {
    const snapshot = this.trusted
    if (snapshot) this.reads.hits++
    else this.reads.misses++
    return snapshot
  }

  get version (): number {
    return this.current?.config.version ?? 0
  }

  accept (snapshot: Snapshot): void {
    if (this.current && snapshot.config.version <= this.current.config.version) return
    this.current = snapshot
    this.events.emit('version', snapshot)
  }

  /** Listening (again), and the copy was refreshed after LISTEN took effect. */
  resume (snapshot: Snapshot): void {
    this.accept(snapshot)
    this.listening = true
  }

  /** The listening connection dropped: notifications may be missed from now on. */
  suspend (): void {
    this.listening = false
  }
}
