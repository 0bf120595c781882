// Parsers for the environment's list-valued variables: bearer tokens (name:token,…) and
// encryption keys (base64,…). Errors name the variable and the entry, never a secret.

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export type Role = 'admin' | 'reader' | 'consumer'

export interface TokenEntry { name: string, role: Role, token: string }

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const MIN_TOKEN_LENGTH = 16

/** `ops:secret1,ci:secret2` → entries of one role. */
export function parseTokenList (variable: string, role: Role, value: string | undefined): TokenEntry[] {
  if (value === undefined) return []
  const names = new Set<string>()
  return value.split(',').map((item) => item.trim()).filter(Boolean).map((item, index) => {
    const colon = item.indexOf(':')
    const name = colon < 0 ? '' : item.slice(0, colon)
    const token = colon < 0 ? '' : item.slice(colon + 1)
    if (!TOKEN_NAME.test(name)) {
      throw new ConfigError(`Invalid environment variable ${variable}: entry ${index + 1} must be name:token, the name made of letters, digits, _ . -`)
    }
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new ConfigError(`Invalid environment variable ${variable}: the token named "${name}" must be at least ${MIN_TOKEN_LENGTH} characters, without spaces`)
    }
    if (names.has(name)) throw new ConfigError(`Invalid environment variable ${variable}: the name "${name}" is used twice`)
    names.add(name)
    return { name, role, token }
  })
}

/** Comma-separated base64 keys of 32 bytes each. */
export function parseKeyList (variable: string, value: string): Buffer[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean).map((item, index) => {
    const key = Buffer.from(item, 'base64')
    if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(item)) {
      throw new ConfigError(`Invalid environment variable ${variable}: key ${index + 1} must be 32 bytes, base64-encoded`)
    }
    return key
  })
}
