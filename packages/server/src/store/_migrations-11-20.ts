/**
 * Schema migrations 11–20 (part of `MIGRATIONS` in `migrations.ts`): sender keys, push
 * registrations, account reset (abandoned identities, reset tickets) and SQL attachments.
 * A new migration is appended here (or to a new part listed in `migrations.ts`).
 */
import type { Migration } from './migrations.js'

export const MIGRATIONS_11_20: readonly Migration[] = [
  {
    // Sender keys (docs/groups.md, decision 0014): a group message's one sender-key ciphertext
    // on its message row, and which devices were sent a distribution of which chain (the
    // server's coverage rule for a sender-key send). Number 11 was assigned to this change.
    version: 11,
    name: 'sender-keys',
    sql: `
ALTER TABLE messages ADD COLUMN sender_key jsonb;
CREATE TABLE sender_key_holders (
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  sender_user text NOT NULL,
  sender_device text NOT NULL,
  key_id bigint NOT NULL,
  user_id text NOT NULL,
  device_id text NOT NULL,
  PRIMARY KEY (conversation_id, sender_user, sender_device, key_id, user_id, device_id)
)
`,
  },
  {
    // Push (issue 18, docs/push.md): how each device asked to be woken while offline (Web Push
    // subscriptions, native tokens), at most MAX_PUSH_REGISTRATIONS per device. `row_seq`
    // orders registrations made in one millisecond. Number 14 was assigned to this change.
    version: 14,
    name: 'push-registrations',
    sql: `
CREATE TABLE push_registrations (
  user_id text NOT NULL,
  device_id text NOT NULL,
  id text NOT NULL,
  registration jsonb NOT NULL,
  updated_at bigint NOT NULL,
  row_seq bigserial NOT NULL,
  PRIMARY KEY (user_id, device_id, id)
)
`,
  },
  {
    // Account reset (docs/recovery.md, decision 0023): the identity keys a reset abandoned. A
    // lost device still holds its user's identity secret; the first registration after a reset
    // must not pin that key back. Number 17 was assigned to this change.
    version: 17,
    name: 'abandoned-identities',
    sql: `
CREATE TABLE abandoned_identities (
  user_id text NOT NULL,
  identity_key text NOT NULL,
  PRIMARY KEY (user_id, identity_key)
)
`,
  },
  {
    // Account reset (docs/recovery.md, decision 0024): the one-time ticket the next registration
    // of a new identity must present — its SHA-256 only, an expiry and the wrong attempts so far.
    // One row per user, deleted when used. Number 18 was assigned to this change.
    version: 18,
    name: 'reset-tickets',
    sql: `
CREATE TABLE reset_tickets (
  user_id text PRIMARY KEY,
  ticket_hash text NOT NULL,
  expires_at bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0
)
`,
  },
  {
    // Out-of-band attachments on SQL (docs/attachments.md, decision 0027): the record, the
    // sealed bytes as bytea rows of at most ATTACHMENT_SQL_CHUNK_BYTES keyed by their start
    // offset, and which stored messages name each attachment (it goes with the last of them).
    // The rows are sealed bytes, which do not compress: stored out of line without trying.
    // Number 20 was assigned to this change.
    version: 20,
    name: 'sql-attachments',
    sql: `
CREATE TABLE attachments (
  id text PRIMARY KEY,
  conversation_id text NOT NULL,
  uploader text NOT NULL,
  size bigint NOT NULL,
  written bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  expires_at bigint
);
CREATE INDEX attachments_expiry ON attachments (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX attachments_unfinished ON attachments (updated_at) WHERE written < size;
CREATE TABLE attachment_chunks (
  attachment_id text NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
  start bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (attachment_id, start)
);
ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE attachment_links (
  attachment_id text NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  expires_at bigint,
  PRIMARY KEY (attachment_id, message_id)
);
CREATE INDEX attachment_links_message ON attachment_links (message_id);
CREATE INDEX attachment_links_expiry ON attachment_links (expires_at) WHERE expires_at IS NOT NULL
`,
  },
]
