/**
 * The one SQL schema, as ordered, versioned migrations shared by PGlite and PostgreSQL.
 * Applied in a transaction under an advisory lock, so several processes starting at once on
 * one database migrate exactly once. Never edit a shipped migration: append a new one.
 */

/** A schema migration: applied once, in `version` order. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/** Advisory lock key held while migrating ("parley" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x7061726c6579

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE parley_meta (key text PRIMARY KEY, value jsonb NOT NULL);

CREATE TABLE users (
  user_id text PRIMARY KEY,
  identity_key text NOT NULL,
  device_list jsonb NOT NULL,
  device_list_version bigint NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE devices (
  user_id text NOT NULL REFERENCES users (user_id),
  device_id text NOT NULL,
  signing_key text NOT NULL,
  identity_key text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  signed_prekey jsonb NOT NULL,
  kem_last_resort jsonb NOT NULL,
  inbox_seq bigint NOT NULL DEFAULT 0,
  inbox_cursor bigint NOT NULL DEFAULT 0,
  notice_cursor bigint NOT NULL DEFAULT 0,
  registered_at bigint NOT NULL,
  PRIMARY KEY (user_id, device_id)
);

CREATE TABLE one_time_prekeys (
  user_id text NOT NULL,
  device_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('x25519', 'kem')),
  key_id bigint NOT NULL,
  public_key text NOT NULL,
  signature text,
  PRIMARY KEY (user_id, device_id, kind, key_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id)
);

CREATE TABLE conversations (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('direct', 'group')),
  pair_key text UNIQUE,
  mode text NOT NULL CHECK (mode IN ('server-side', 'e2ee')),
  upgrade_required boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  mode_change jsonb
);

CREATE TABLE conversation_members (
  conversation_id text NOT NULL REFERENCES conversations (id),
  user_id text NOT NULL,
  joined_at bigint NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id);

CREATE TABLE messages (
  id text PRIMARY KEY,
  conversation_id text NOT NULL REFERENCES conversations (id),
  seq bigint NOT NULL,
  ts bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('message', 'mode_change')),
  sender_user text NOT NULL,
  sender_device text NOT NULL,
  client_message_id text,
  mode text NOT NULL,
  body_kid text,
  body text,
  attachments jsonb,
  franking jsonb,
  mode_change jsonb,
  deleted boolean NOT NULL DEFAULT false,
  expires_at bigint,
  UNIQUE (conversation_id, seq),
  UNIQUE (conversation_id, sender_user, sender_device, client_message_id)
);
CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE inbox (
  user_id text NOT NULL,
  device_id text NOT NULL,
  inbox_id bigint NOT NULL,
  message_id text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  envelope_type text,
  ciphertext text,
  PRIMARY KEY (user_id, device_id, inbox_id)
);
CREATE INDEX inbox_message ON inbox (message_id);

CREATE TABLE notices (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  notice jsonb NOT NULL
);
CREATE INDEX notices_user ON notices (user_id, id);

CREATE TABLE reports (
  reporter_user text NOT NULL,
  report_id text NOT NULL,
  conversation_id text NOT NULL,
  received_at bigint NOT NULL,
  report jsonb NOT NULL,
  PRIMARY KEY (reporter_user, report_id)
);

CREATE TABLE token_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE link_requests (
  code_hash text PRIMARY KEY,
  user_id text NOT NULL,
  device_id text NOT NULL,
  ephemeral_key text NOT NULL,
  expires_at bigint NOT NULL
);
`,
  },
  // ---- sealed reports (issue 12, row 14): reports sealed at rest with the data key ----
  {
    version: 2,
    name: 'sealed-reports',
    sql: `
ALTER TABLE reports ADD COLUMN sealed_kid text;
ALTER TABLE reports ADD COLUMN sealed text;
ALTER TABLE reports ALTER COLUMN report DROP NOT NULL;
`,
  },
  {
    // When each token bucket is full again: a full bucket is the same as no row, so rows past
    // it are purged (per-requester→target `keys.fetch` buckets would otherwise pile up).
    version: 3,
    name: 'token-bucket-full-at',
    sql: `
ALTER TABLE token_buckets ADD COLUMN full_at bigint;
CREATE INDEX token_buckets_full_at ON token_buckets (full_at) WHERE full_at IS NOT NULL;
`,
  },
  {
    // Safety controls (issue 15, part A; docs/decisions/0005): blocks, mutes, message requests
    // (one per 1:1 conversation, never deleted) and the messages withheld from a blocker
    // (gone with the message when retention purges it).
    version: 4,
    name: 'safety-controls',
    sql: `
CREATE TABLE blocks (
  blocker text NOT NULL,
  blocked text NOT NULL,
  since bigint NOT NULL,
  PRIMARY KEY (blocker, blocked)
);

CREATE TABLE mutes (
  user_id text NOT NULL,
  conversation_id text NOT NULL,
  since bigint NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
);

CREATE TABLE message_requests (
  conversation_id text PRIMARY KEY,
  recipient text NOT NULL,
  requester text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'declined', 'accepted')),
  since bigint NOT NULL
);
CREATE INDEX message_requests_open ON message_requests (recipient, conversation_id) WHERE state <> 'accepted';

CREATE TABLE withheld (
  user_id text NOT NULL,
  message_id text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX withheld_message ON withheld (message_id);
`,
  },
  {
    // Moderator actions (issue 15): each written with its audit entry in one transaction.
    version: 5,
    name: 'moderation',
    sql: `
CREATE TABLE moderation_suspensions (
  user_id text PRIMARY KEY,
  until bigint,
  reason text NOT NULL,
  by_actor text NOT NULL,
  at bigint NOT NULL
);
CREATE TABLE moderation_revoked_devices (
  user_id text NOT NULL,
  device_id text NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE moderation_closures (
  conversation_id text PRIMARY KEY,
  reason text NOT NULL,
  by_actor text NOT NULL,
  at bigint NOT NULL
);
CREATE TABLE moderation_report_resolutions (
  reporter_user text NOT NULL,
  report_id text NOT NULL,
  resolution text NOT NULL,
  note text,
  by_actor text NOT NULL,
  at bigint NOT NULL,
  PRIMARY KEY (reporter_user, report_id)
);
CREATE TABLE moderation_audit (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  reason text NOT NULL,
  details jsonb NOT NULL
);
CREATE INDEX moderation_audit_at ON moderation_audit (at, id);
CREATE INDEX reports_received_at ON reports (received_at DESC)
`,
  },
  {
    // The group commit's single-statement append checks, inside that statement, that the
    // counters and devices it decided against are still current; plain SQL cannot abort a
    // statement on a condition, so this function raises APPEND_STALE_SQLSTATE when one is not.
    // One line: statements are split at a semicolon that ends a line.
    version: 6,
    name: 'append-check',
    sql: `
CREATE OR REPLACE FUNCTION parley_append_check(fresh boolean) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF fresh IS NOT TRUE THEN RAISE EXCEPTION 'append decided on stale state' USING ERRCODE = 'PA409'; END IF; RETURN true; END $$;
`,
  },
  {
    // Groups (issue 16, docs/groups.md): a group's verified roster state on its conversation,
    // roster records stored as `roster` messages (one seq each, fanned out like mode changes).
    version: 7,
    name: 'group-rosters',
    sql: `
ALTER TABLE conversations ADD COLUMN roster_state jsonb;
ALTER TABLE messages ADD COLUMN roster jsonb;
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN ('message', 'mode_change', 'roster'));
CREATE INDEX messages_roster ON messages (conversation_id, seq) WHERE kind = 'roster'
`,
  },
  {
    // Disappearing messages (issue 17, docs/recovery.md): a conversation's signed timer
    // setting. Messages keep using `expires_at` (set per message at append time).
    version: 8,
    name: 'disappearing-messages',
    sql: `
ALTER TABLE conversations ADD COLUMN disappearing jsonb
`,
  },
  {
    // Encrypted backups and history transfers (issue 17, docs/recovery.md): opaque chunked blobs
    // per user and slot. A slot has at most one committed blob and one upload in progress.
    version: 9,
    name: 'backup-blobs',
    sql: `
CREATE TABLE blobs (
  user_id text NOT NULL,
  slot text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'committed')),
  upload text NOT NULL,
  chunks integer NOT NULL,
  bytes bigint NOT NULL,
  updated_at bigint NOT NULL,
  expires_at bigint,
  PRIMARY KEY (user_id, slot, state)
);
CREATE TABLE blob_chunks (
  user_id text NOT NULL,
  slot text NOT NULL,
  upload text NOT NULL,
  idx integer NOT NULL,
  bytes integer NOT NULL,
  data text NOT NULL,
  PRIMARY KEY (user_id, slot, upload, idx)
)
`,
  },
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

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version
