// Reconnect delays: exponential with "equal jitter" (half the step fixed, half random,
// https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), so a thousand
// clients that lose the same service spread their returns over the whole step instead of
// arriving together, while none retries sooner than half the step.

export interface BackoffOptions {
  /** The first step (the spec's "about 0.5 s"). */
  baseMs: number
  /** No step is longer. */
  capMs: number
  random?: () => number
}

export class Backoff {
  private attempt = 0
  private readonly random: () => number

  constructor (private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random
  }

  /** The delay before the next attempt; each call lengthens the following one up to the cap. */
  next (retryAfterMs?: number): number {
    const step = Math.min(this.options.capMs, this.options.baseMs * 2 ** this.attempt)
    this.attempt = Math.min(this.attempt + 1, 32) // 2 ** 32 already exceeds any cap
    const delay = step / 2 + this.random() * step / 2
    if (retryAfterMs === undefined) return Math.round(delay)
    // The service named a time: never earlier, and spread over a fifth more so that clients
    // told the same Retry-After do not return in the same instant.
    return Math.round(Math.max(delay, retryAfterMs * (1 + this.random() * 0.2)))
  }

  reset (): void {
    this.attempt = 0
  }
}
