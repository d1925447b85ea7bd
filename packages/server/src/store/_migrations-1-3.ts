/**
 * Schema migrations 1–3 (part of `MIGRATIONS` in `migrations.ts`): the initial schema, reports
 * sealed at rest, and when each token bucket is full again.
 */
import type { Migration } from './migrations.js'

export const MIGRATIONS_1_3: readonly Migration[] = [
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
]
