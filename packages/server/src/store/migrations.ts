/**
 * The one SQL schema, as ordered, versioned migrations shared by PGlite and PostgreSQL.
 * Applied in a transaction under an advisory lock, so several processes starting at once on
 * one database migrate exactly once. Never edit a shipped migration: append a new one.
 */
import { MIGRATIONS_1_3 } from './_migrations-1-3.js'
import { MIGRATIONS_4_9 } from './_migrations-4-9.js'
import { MIGRATIONS_11_20 } from './_migrations-11-20.js'

/** A schema migration: applied once, in `version` order. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/** Advisory lock key held while migrating ("parley" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x7061726c6579

// The parts hold them by version range, each oldest first; a new part is listed here.
/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [...MIGRATIONS_1_3, ...MIGRATIONS_4_9, ...MIGRATIONS_11_20]

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version
