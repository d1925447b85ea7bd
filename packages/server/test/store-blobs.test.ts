/**
 * The blob sub-store (`store.blobs`: encrypted backups and history transfers) on every backend:
 * memory, PGlite and PostgreSQL (skipped with a printed reason when unreachable, run and
 * failing under CI=true).
 */
import { blobContract } from '../src/store/blob-contract.js'
import { onEveryBackend } from './helpers/sub-store-backends.js'

await onEveryBackend(blobContract, 'TRUNCATE blobs, blob_chunks')
