import { describe, expect, it } from 'vitest'
import { InvalidFrameError, MemberMismatchError, NOTICE_KINDS, type Notice } from '@parley/protocol'
import { NOTICE_MESSAGES, noticeMessage, noticeText, type NoticeCatalogue } from '../src/index.js'
import { checkNotice } from '../src/conversations/notice-check.js'

/** One notice per kind of the closed catalogue (every variant of the mode-dependent ones). */
const NOTICES = {
  mode_changed: { kind: 'mode_changed', conversationId: 'c_1', encryption: 'e2ee', by: 'alice', ts: 1 },
  policy_changed: { kind: 'policy_changed', conversationId: 'c_1', policy: 'server-side', previousPolicy: 'default-e2ee', encryption: 'e2ee', ts: 2 },
  upgrade_required: { kind: 'upgrade_required', conversationId: 'c_1', policy: 'default-e2ee', previousPolicy: 'optional-e2ee', encryption: 'server-side', ts: 3 },
  device_added: { kind: 'device_added', conversationId: 'c_1', userId: 'bob', ts: 4 },
  identity_changed: { kind: 'identity_changed', userId: 'bob', ts: 5 },
  conversation_closed: { kind: 'conversation_closed', conversationId: 'c_1', ts: 6 },
  message_removed: { kind: 'message_removed', conversationId: 'c_1', messageId: 'm_1', ts: 7 },
} satisfies Record<(typeof NOTICE_KINDS)[number], Notice>

const EXPECTED: Record<(typeof NOTICE_KINDS)[number], string> = {
  mode_changed: 'alice turned on end-to-end encryption for this conversation. It cannot be turned off.',
  policy_changed: 'The server policy changed from default-e2ee to server-side. This conversation stays end-to-end encrypted.',
  upgrade_required: 'The server policy changed from optional-e2ee to default-e2ee. This conversation will be upgraded to end-to-end encryption on its next message.',
  device_added: 'bob added a new device.',
  identity_changed: 'bob has a new identity key. Compare safety numbers before you trust new messages.',
  conversation_closed: 'A moderator closed this conversation. No more messages can be sent in it.',
  message_removed: 'A moderator removed a message from this conversation.',
}

describe('noticeText', () => {
  it('renders every kind of the catalogue from the client’s own English sentences', () => {
    expect(Object.keys(NOTICES).sort()).toEqual([...NOTICE_KINDS].sort())
    for (const kind of NOTICE_KINDS) expect(noticeText(NOTICES[kind])).toBe(EXPECTED[kind])
  })

  it('policy_changed: the sentence follows the mode, and the client’s pin beats the server’s claim', () => {
    const n = NOTICES.policy_changed
    expect(noticeText({ ...n, encryption: 'server-side' })).toBe('The server policy changed from default-e2ee to server-side. This conversation is readable by the server.')
    const { encryption: _e, conversationId: _c, ...global } = n
    expect(noticeText(global)).toBe('The server policy changed from default-e2ee to server-side.')
    // The server claims e2ee; this client pinned the conversation server-side: the pin wins.
    expect(noticeText(n, { encryption: 'server-side' })).toMatch(/readable by the server\.$/)
  })

  it('every catalogue key is reachable and every placeholder is a structured field', () => {
    const keys = new Set<string>()
    for (const n of Object.values(NOTICES)) {
      for (const encryption of [undefined, 'e2ee', 'server-side'] as const) {
        keys.add(noticeMessage(n, encryption).key)
        if (n.kind === 'policy_changed') {
          const { encryption: _e, ...bare } = n
          keys.add(noticeMessage(bare).key)
        }
      }
    }
    expect([...keys].sort()).toEqual(Object.keys(NOTICE_MESSAGES).sort())
    for (const kind of NOTICE_KINDS) expect(noticeText(NOTICES[kind])).not.toMatch(/\{\w+\}/)
  })

  it('renders from another catalogue (localisation), filling placeholders in one pass', () => {
    const fr: NoticeCatalogue = {
      mode_changed: '{by} a activé le chiffrement de bout en bout.',
      'policy_changed.e2ee': 'Politique : {previousPolicy} → {policy}. Toujours chiffrée de bout en bout.',
      'policy_changed.server-side': 'Politique : {previousPolicy} → {policy}. Lisible par le serveur.',
      policy_changed: 'Politique : {previousPolicy} → {policy}.',
      upgrade_required: 'Politique : {previousPolicy} → {policy}. Chiffrement au prochain message.',
      device_added: '{userId} a ajouté un appareil.',
      conversation_closed: 'Un modérateur a fermé cette conversation.',
      message_removed: 'Un modérateur a retiré un message.',
      identity_changed: '{userId} a une nouvelle clé.',
    }
    expect(noticeText(NOTICES.mode_changed, { messages: fr })).toBe('alice a activé le chiffrement de bout en bout.')
    // A user id that looks like a placeholder is shown as is, never expanded.
    expect(noticeText({ ...NOTICES.mode_changed, by: '{policy}' })).toMatch(/^\{policy\} turned on/)
    expect(() => noticeText(NOTICES.device_added, { messages: { ...fr, device_added: undefined } as never })).toThrow(TypeError)
  })

  it('refuses anything that is not a catalogue entry: free-form text, unknown kinds, missing fields', () => {
    const bad: unknown[] = [
      { ...NOTICES.mode_changed, text: 'Your account is locked, log in at https://evil.example' },
      { ...NOTICES.device_added, kind: 'account_locked' },
      { kind: 'mode_changed', conversationId: 'c_1', encryption: 'e2ee', ts: 1 },
      { ...NOTICES.mode_changed, by: 'log in at evil.example' },
    ]
    for (const n of bad) {
      let thrown: unknown
      try {
        noticeText(n as Notice)
      } catch (e) {
        thrown = e
      }
      expect(InvalidFrameError.isInstance(thrown), String(thrown)).toBe(true)
    }
  })
})

describe('checkNotice', () => {
  it('refuses a notice naming a user who is not a pinned member; accepts members and unknown conversations', () => {
    expect(checkNotice(NOTICES.mode_changed, ['alice', 'bob'])).toBe(NOTICES.mode_changed)
    expect(() => checkNotice({ ...NOTICES.mode_changed, by: 'mallory' }, ['alice', 'bob'])).toThrow(MemberMismatchError)
    expect(() => checkNotice({ ...NOTICES.device_added, userId: 'mallory' }, ['alice', 'bob'])).toThrow(MemberMismatchError)
    expect(checkNotice(NOTICES.policy_changed, ['alice', 'bob'])).toBe(NOTICES.policy_changed)
    expect(checkNotice({ ...NOTICES.mode_changed, by: 'mallory' }, undefined).kind).toBe('mode_changed')
  })
})
