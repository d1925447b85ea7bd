/**
 * `fileKeyStore({ path })`: a {@link KeyStore} in one JSON file (Node only; import it from
 * `@parley/client/node`). Every commit writes the whole map to a temporary file opened with
 * mode 0600, fsyncs it, renames it over the old file and fsyncs the directory, so after a
 * crash (even SIGKILL mid-write) the file holds either the previous commit or the new one,
 * never half of one. Concurrent `saveChanges` calls are grouped into one write (group commit).
 * One process per file: two processes writing the same path would overwrite each other.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { StoreError } from '@parley/protocol'
import { assertKey, cloneJson, keyStoreFrom, normalizeChanges, type JsonValue, type KeyStore, type KeyStoreChanges } from './key-store.js'

/** Permission bits of the key file and its temporary files: owner read/write only. */
export const KEY_FILE_MODE = 0o600
/** Format version written into the file. */
export const KEY_FILE_FORMAT_VERSION = 1

/** Options of {@link fileKeyStore}. */
export interface FileKeyStoreOptions {
  /** The JSON file to keep keys in; created (with its directory) on first write. */
  path: string
}

interface Pending {
  batch: Map<string, JsonValue | null>
  resolve: () => void
  reject: (e: unknown) => void
}

/**
 * A key store backed by one file, written atomically.
 * @throws {TypeError} when `options.path` is not a non-empty string.
 * @example
 * import { createParleyClient } from '@parley/client'
 * import { fileKeyStore } from '@parley/client/node'
 * const client = await createParleyClient({ url, token, keyStore: fileKeyStore({ path: './.parley/keys.json' }) })
 */
export function fileKeyStore(options: FileKeyStoreOptions): KeyStore {
  const path = options?.path
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`"options.path" expected non-empty string, got ${typeof path}`)
  const dir = dirname(path)
  const base = basename(path)
  let data = new Map<string, JsonValue>()
  let closed = false
  let queue: Pending[] = []
  let writing: Promise<void> | null = null

  const ready = (async () => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new StoreError(`cannot read key file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {}, { cause: e })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (e) {
      // Never start over silently: the file holds identity keys.
      throw new StoreError('key file is not valid JSON', {}, { cause: e })
    }
    const entries = (parsed as { v?: unknown; entries?: unknown })?.entries
    if ((parsed as { v?: unknown })?.v !== KEY_FILE_FORMAT_VERSION || entries === null || typeof entries !== 'object') {
      throw new StoreError('key file has an unknown format')
    }
    data = new Map(Object.entries(entries as Record<string, JsonValue>))
    // Leftovers of a write that crashed before its rename hold nothing committed.
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name.startsWith(`${base}.tmp-`)) await unlink(join(dir, name)).catch(() => {})
    }
  })()
  ready.catch(() => {}) // surfaced by the first operation

  async function live() {
    if (closed) throw new StoreError('file key store is closed')
    await ready
  }

  async function writeFileAtomically(next: Map<string, JsonValue>) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const tmp = join(dir, `${base}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`)
    const body = JSON.stringify({ v: KEY_FILE_FORMAT_VERSION, entries: Object.fromEntries(next) })
    const fh = await open(tmp, 'w', KEY_FILE_MODE)
    try {
      await fh.chmod(KEY_FILE_MODE) // the umask may have removed bits, never added: make it exact
      await fh.writeFile(body, 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    try {
      await rename(tmp, path)
    } catch (e) {
      await unlink(tmp).catch(() => {})
      throw e
    }
    // The rename itself is durable only once the directory entry is flushed.
    const dh = await open(dir, 'r').catch(() => null)
    if (dh) {
      await dh.sync().catch(() => {}) // some filesystems refuse fsync on a directory
      await dh.close()
    }
  }

  async function drain() {
    while (queue.length > 0) {
      const group = queue
      queue = []
      const next = new Map(data)
      for (const { batch } of group) {
        for (const [k, v] of batch) {
          if (v === null) next.delete(k)
          else next.set(k, v)
        }
      }
      try {
        await writeFileAtomically(next)
        data = next
        for (const p of group) p.resolve()
      } catch (e) {
        const err = new StoreError(`cannot write key file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {}, { cause: e })
        for (const p of group) p.reject(err)
      }
    }
    writing = null
  }

  const store: KeyStore = keyStoreFrom({
    kind: 'file',
    async get<T extends JsonValue = JsonValue>(key: string) {
      assertKey(key)
      await live()
      const value = data.get(key)
      return (value === undefined ? null : cloneJson(value)) as T | null
    },
    async saveChanges(changes: KeyStoreChanges) {
      const batch = normalizeChanges(changes)
      await live()
      if (batch.size === 0) return
      await new Promise<void>((resolve, reject) => {
        queue.push({ batch, resolve, reject })
        writing ??= drain()
      })
    },
    async keys(prefix = '') {
      if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected string, got ${typeof prefix}`)
      await live()
      return [...data.keys()].filter((k) => k.startsWith(prefix)).sort()
    },
    async close() {
      if (closed) return
      closed = true
      await writing
      await ready.catch(() => {})
    },
  })
  return store
}
