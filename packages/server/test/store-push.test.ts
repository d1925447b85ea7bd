/**
 * The push sub-store (`store.push`: push registrations per device) on every backend: memory,
 * PGlite and PostgreSQL (skipped with a printed reason when unreachable, run and failing under
 * CI=true).
 */
import { pushContract } from '../src/store/push-contract.js'
import { onEveryBackend } from './helpers/sub-store-backends.js'

await onEveryBackend(pushContract, 'TRUNCATE push_registrations')
