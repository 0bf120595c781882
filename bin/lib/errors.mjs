// Exit codes scripts can rely on (documented in `llm-config --help`), and the error that carries one.

export const EXIT = {
  ok: 0,
  /** Wrong arguments: an unknown command, option or field, a missing value. */
  usage: 1,
  /** 401 or 403: no token, a wrong one, or one whose role may not do this. */
  unauthorized: 2,
  /** 412: the configuration changed since its ETag was read. */
  conflict: 3,
  /** 400 or 422, or a value that is not of its field's type: nothing was changed. */
  invalid: 4,
  /** The service could not be reached, did not answer in time, answered 5xx or 429, or did not answer as the service does. */
  unavailable: 5,
  /** verify: the report says something is wrong (ok: false). */
  verifyFailed: 6
}

export class CliError extends Error {
  /**
   * @param {string} message one line, printed after "llm-config: "
   * @param {number} exitCode one of EXIT
   * @param {string[]} [details] further lines (field errors), printed indented
   */
  constructor (message, exitCode, details = []) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
    this.details = details
  }
}
