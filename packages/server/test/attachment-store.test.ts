/**
 * The attachment store (docs/attachments.md) on every backend: memory, filesystem, and the
 * stores' own `store.attachments` on memory, PGlite and PostgreSQL (skipped with a printed
 * reason when unreachable, run and failing under CI=true).
 */
import { afterAll } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { attachmentContract } from '../src/attachments/attachment-contract.js'
import { memoryAttachmentStore } from '../src/attachments/attachment-memory.js'
import { fileAttachmentStore } from '../src/attachments/attachment-fs.js'
import type { AttachmentStore } from '../src/attachments/attachment-store.js'
import { onEveryBackend } from './helpers/sub-store-backends.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

attachmentContract('memory', async () => memoryAttachmentStore())
attachmentContract('filesystem (own temporary directory)', async () => fileAttachmentStore())
attachmentContract('filesystem (given directory)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-att-test-'))
  dirs.push(dir)
  return fileAttachmentStore({ dir })
})
// The database's own attachment store; closing it closes the database it lives in.
await onEveryBackend((name, make) => attachmentContract(`${name} store.attachments`, async (): Promise<AttachmentStore> => {
  const store = await make()
  return { ...store.attachments, close: () => store.close() }
}), 'TRUNCATE attachments, attachment_chunks, attachment_links')
