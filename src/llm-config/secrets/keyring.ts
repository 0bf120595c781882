// Where the encryption key comes from: ENCRYPTION_KEY (+ ENCRYPTION_KEYS_OLD), or, outside
// production only, a key file under DATA_DIR that is generated once (mode 0600). An in-memory
// database gets a key that lives as long as it does.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseKeyList } from '../../config-lists.js'
import type { Config } from '../../config.js'
import { Keyring } from './cipher.js'

const KEY_FILE = 'encryption.key'

export async function loadKeyring (config: Config, notice: (message: string) => void): Promise<Keyring> {
  if (config.encryption.key) return new Keyring(config.encryption.key, config.encryption.oldKeys)
  // config.ts refuses to start in production without ENCRYPTION_KEY: this is development.
  if (config.database.kind === 'embedded' && config.database.dataDir === null) {
    notice('ENCRYPTION_KEY is not set: the in-memory database uses a random key that lives as long as the process.')
    return new Keyring(randomBytes(32), config.encryption.oldKeys)
  }
  const path = join(config.dataDir, KEY_FILE)
  let key = await readKeyFile(path)
  if (!key) {
    await mkdir(config.dataDir, { recursive: true })
    key = randomBytes(32)
    try {
      await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
      notice(`ENCRYPTION_KEY is not set: generated a key in ${path} (mode 0600). Set ENCRYPTION_KEY in production.`)
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      key = await readKeyFile(path)
    }
  } else {
    notice(`ENCRYPTION_KEY is not set: using the development key in ${path}.`)
  }
  if (!key) throw new Error(`Could not read the key file ${path}`)
  return new Keyring(key, config.encryption.oldKeys)
}

async function readKeyFile (path: string): Promise<Buffer | undefined> {
  try {
    const [key] = parseKeyList(path, (await readFile(path, 'utf8')).trim())
    return key
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
