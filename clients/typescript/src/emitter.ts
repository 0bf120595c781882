// A typed event emitter small enough for browsers (node:events is not there). A listener
// that throws does not break the client's loop or the other listeners: the error is reported
// to `onListenerError` (the client turns it into a warning).
export type Listener<Args extends unknown[]> = (...args: Args) => void

export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<unknown[]>>>()

  constructor (private readonly onListenerError: (error: unknown) => void) {}

  on<E extends keyof Events> (event: E, listener: Listener<Events[E]>): this {
    let set = this.listeners.get(event)
    if (set === undefined) this.listeners.set(event, set = new Set())
    set.add(listener as unknown as Listener<unknown[]>)
    return this
  }

  off<E extends keyof Events> (event: E, listener: Listener<Events[E]>): this {
    this.listeners.get(event)?.delete(listener as unknown as Listener<unknown[]>)
    return this
  }

  once<E extends keyof Events> (event: E, listener: Listener<Events[E]>): this {
    const wrapper: Listener<Events[E]> = (...args) => {
      this.off(event, wrapper)
      listener(...args)
    }
    return this.on(event, wrapper)
  }

  listenerCount (event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0
  }

  protected emit<E extends keyof Events> (event: E, ...args: Events[E]): void {
    for (const listener of [...this.listeners.get(event) ?? []]) {
      try {
        listener(...args)
      } catch (error) {
        this.onListenerError(error)
      }
    }
  }
}
