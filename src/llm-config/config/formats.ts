// The string formats of the configuration's schemas, for validation (plugins/app/validation.ts),
// serialisation and the wording of validation errors (plugins/app/errors.ts).
import type { Formats } from '../../plugins/app/validation.js'
import { HINT_PREFIX, looksLikeCiphertext } from '../secrets/cipher.js'

/** Formats of our own, with the wording validation errors use for them. */
export const FORMATS: Formats = {
  'http-url': { description: 'an absolute http(s) URL', validate: isHttpUrl },
  // A masked hint or our own ciphertext sent back as the key would overwrite the real key.
  'api-key': {
    description: 'the API key itself, not its masked hint (…) or the stored ciphertext (llmcfg:v1:…)',
    validate: (value) => !value.startsWith(HINT_PREFIX) && !looksLikeCiphertext(value)
  },
  'date-time': { description: 'an RFC 3339 date-time', validate: (value) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value) }
}

function isHttpUrl (value: string): boolean {
  // WHATWG URL parsing forgives a lot ("http:example.com"); require the scheme and // as written.
  if (!/^https?:\/\/[^\s/?#]/i.test(value) || /\s/.test(value)) return false
  try {
    return new URL(value).hostname !== ''
  } catch {
    return false
  }
}
