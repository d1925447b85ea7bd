/**
 * The demo server's long-lived secrets: the franking key (so reports of messages sent before
 * a restart still verify), the at-rest data key (so server-side bodies stay readable after a
 * restart) and an instance id (so browsers keep one key store per data directory).
 *
 * They live in `server-keys.json` (mode 0600) inside the data directory, created on first
 * start. A production deployment keeps them in its secret manager instead and rotates them by
 * adding a new key id.
 */
import { randomUUID } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fromBase64, toBase64 } from '@parley/protocol'
import { generateDataKey, generateFrankingKey, type DataKeyring, type FrankingKeyring } from '@parley/crypto'

/** File name of the keys inside the data directory. */
export const SERVER_KEYS_FILE = 'server-keys.json'
/** Key id of the first (and, in this demo, only) franking and data key. */
export const DEMO_KEY_ID = 'k1'

/** The server's secrets and identity, as loaded. */
export interface ServerKeys {
  instanceId: string
  frankingKeys: FrankingKeyring
  dataKeys: DataKeyring
}

interface ServerKeysFile {
  instanceId: string
  frankingKey: string
  dataKey: string
}

function fromFile(f: ServerKeysFile): ServerKeys {
  if (typeof f?.instanceId !== 'string' || typeof f.frankingKey !== 'string' || typeof f.dataKey !== 'string') {
    throw new TypeError(`${SERVER_KEYS_FILE}: expected { instanceId, frankingKey, dataKey }`)
  }
  return {
    instanceId: f.instanceId,
    frankingKeys: { currentKid: DEMO_KEY_ID, keys: { [DEMO_KEY_ID]: fromBase64(f.frankingKey) } },
    dataKeys: { currentKid: DEMO_KEY_ID, keys: { [DEMO_KEY_ID]: fromBase64(f.dataKey) } },
  }
}

/**
 * Loads the keys from `dataDir`, creating them (atomically, mode 0600) on first start.
 * @throws {TypeError} when the file exists but is malformed.
 */
export async function loadServerKeys(dataDir: string): Promise<ServerKeys> {
  const file = join(dataDir, SERVER_KEYS_FILE)
  try {
    return fromFile(JSON.parse(await readFile(file, 'utf8')) as ServerKeysFile)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const created: ServerKeysFile = {
    instanceId: randomUUID(),
    frankingKey: toBase64(generateFrankingKey()),
    dataKey: toBase64(generateDataKey()),
  }
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(created, null, 2), { mode: 0o600 })
  await rename(tmp, file)
  return fromFile(created)
}
