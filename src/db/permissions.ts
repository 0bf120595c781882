// The embedded database's folder is private to the service's user: 0700 folders, 0600 files.
// PGlite's Node file system (Emscripten's NODEFS) gives every file it writes the mode 0666
// whatever the umask (the umask narrows only its folders), so its modes are set again here,
// on every open and on close. Files PGlite creates while it runs (WAL segments, new relations)
// are 0666 until then, but inside a 0700 DATA_DIR nobody else can reach them.
import { chmod, lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

export const PRIVATE_FOLDER = 0o700
export const PRIVATE_FILE = 0o600

/** Sets `folder` and everything below it to 0700 (folders) and 0600 (files); symlinks are left alone. */
export async function makePrivate (folder: string): Promise<void> {
  const stats = await lstat(folder)
  if (stats.isSymbolicLink()) return
  const mode = stats.isDirectory() ? PRIVATE_FOLDER : PRIVATE_FILE
  if ((stats.mode & 0o777) !== mode) await chmod(folder, mode)
  if (!stats.isDirectory()) return
  for (const entry of await readdir(folder)) await makePrivate(join(folder, entry))
}
