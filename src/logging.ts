// What the service's log lines may say of an error: nothing that can quote a secret.

/** What may be logged of an unexpected error: its kind, codes and stack frames, never its message. */
export function loggableError (error: unknown) {
  const err = error as { name?: string, code?: unknown, stack?: string, cause?: { code?: unknown, name?: string } }
  return {
    type: err.name,
    code: err.code ?? err.cause?.code, // SQLSTATE for database errors
    cause: err.cause?.name,
    // Only the "at …" lines: a message can span lines (Drizzle's ends with "params: …").
    frames: err.stack?.split('\n').filter((line) => /^\s+at /.test(line)).join('\n')
  }
}
