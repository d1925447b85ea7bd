/** The attachment store (docs/attachments.md) on every backend: memory and filesystem. */
import { afterAll } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { attachmentContract } from '../src/attachments/attachment-contract.js'
import { memoryAttachmentStore } from '../src/attachments/attachment-memory.js'
import { fileAttachmentStore } from '../src/attachments/attachment-fs.js'

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
