/**
 * Notice rendering (protocol version 2, `notice` frame): the server sends a code from the
 * closed catalogue `NOTICE_KINDS` and the structured fields that code needs; the words are
 * the client's. {@link noticeText} turns a notice into English from {@link NOTICE_MESSAGES},
 * or into any language from a catalogue with the same keys. Only ids and enumerations from
 * the validated frame are interpolated — never prose from the server.
 */
import { parseServerFrame, type EncryptionMode, type Notice } from '@parley/protocol'

/**
 * The English catalogue. Keys are `kind`, or `kind.encryption` where the sentence depends on
 * the conversation's mode; `{name}` placeholders are filled from the notice's fields:
 * `{by}` (mode_changed), `{policy}` / `{previousPolicy}` (policy_changed, upgrade_required),
 * `{userId}` (device_added, identity_changed); conversation_closed and message_removed take none.
 */
export const NOTICE_MESSAGES = {
  mode_changed: '{by} turned on end-to-end encryption for this conversation. It cannot be turned off.',
  'policy_changed.e2ee': 'The server policy changed from {previousPolicy} to {policy}. This conversation stays end-to-end encrypted.',
  'policy_changed.server-side': 'The server policy changed from {previousPolicy} to {policy}. This conversation is readable by the server.',
  policy_changed: 'The server policy changed from {previousPolicy} to {policy}.',
  upgrade_required: 'The server policy changed from {previousPolicy} to {policy}. This conversation will be upgraded to end-to-end encryption on its next message.',
  device_added: '{userId} added a new device.',
  identity_changed: '{userId} has a new identity key. Compare safety numbers before you trust new messages.',
  conversation_closed: 'A moderator closed this conversation. No more messages can be sent in it.',
  message_removed: 'A moderator removed a message from this conversation.',
} as const

/** A key of the notice catalogue. */
export type NoticeMessageKey = keyof typeof NOTICE_MESSAGES
/** A complete notice catalogue (e.g. a translation of {@link NOTICE_MESSAGES}). */
export type NoticeCatalogue = { readonly [K in NoticeMessageKey]: string }

export interface NoticeTextOptions {
  /** The catalogue to render from; {@link NOTICE_MESSAGES} (English) by default. */
  messages?: NoticeCatalogue
  /**
   * The conversation's mode as this client pinned it (`convo.encryption`). When given, it,
   * not the notice's unsigned `encryption` field, picks the `policy_changed.*` sentence, so a
   * server cannot make a readable conversation read "stays end-to-end encrypted".
   */
  encryption?: EncryptionMode
}

/**
 * The catalogue key and placeholder values for a notice.
 * @throws {InvalidFrameError} `notice` is not a valid catalogue entry (e.g. it carries `text`).
 */
export function noticeMessage(notice: Notice, encryption?: EncryptionMode): { key: NoticeMessageKey; params: Record<string, string> } {
  const n = parseServerFrame('notice', notice)
  switch (n.kind) {
    case 'mode_changed':
      return { key: 'mode_changed', params: { by: n.by } }
    case 'policy_changed': {
      const mode = encryption ?? n.encryption
      return { key: mode ? `policy_changed.${mode}` : 'policy_changed', params: { policy: n.policy, previousPolicy: n.previousPolicy } }
    }
    case 'upgrade_required':
      return { key: 'upgrade_required', params: { policy: n.policy, previousPolicy: n.previousPolicy } }
    case 'device_added':
    case 'identity_changed':
      return { key: n.kind, params: { userId: n.userId } }
    case 'conversation_closed':
    case 'message_removed':
      return { key: n.kind, params: {} }
  }
}

/**
 * Renders a notice in the app's words: the catalogue sentence for its code, with `{name}`
 * placeholders filled (in one pass, so a value is never itself expanded).
 * @throws {InvalidFrameError} `notice` is not a valid catalogue entry (e.g. it carries `text`).
 * @throws {TypeError} `options.messages` lacks the key the notice needs.
 * @example
 * convo.on('notice', (n) => show(noticeText(n, { encryption: convo.encryption })))
 * // "alice turned on end-to-end encryption for this conversation. It cannot be turned off."
 */
export function noticeText(notice: Notice, options: NoticeTextOptions = {}): string {
  const { key, params } = noticeMessage(notice, options.encryption)
  const template = (options.messages ?? NOTICE_MESSAGES)[key]
  if (typeof template !== 'string') throw new TypeError(`"messages" expected a string at key "${key}", got ${typeof template}`)
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? params[name]! : whole))
}
