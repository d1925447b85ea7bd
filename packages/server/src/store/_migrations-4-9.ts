/**
 * Schema migrations 4–9 (part of `MIGRATIONS` in `migrations.ts`): safety controls, moderation,
 * the append check, group rosters, disappearing messages and backup blobs.
 */
import type { Migration } from './migrations.js'

export const MIGRATIONS_4_9: readonly Migration[] = [
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
]
