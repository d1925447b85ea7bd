/** Franking commits to well-formed Unicode only: UTF-8 maps every lone surrogate to U+FFFD. */
import { describe, expect, it } from 'vitest'
import { checkFranking, frankMessage, frankingBytes } from '../src/index.js'

describe('franking and lone surrogates', () => {
  it('refuses to frank ill-formed text, names or mime types', () => {
    expect(() => frankMessage({ text: 'a\uD800', attachments: [] })).toThrow('"msg.text" expected well-formed Unicode, got a lone surrogate at index 1')
    const att = { name: 'x\uDC00', mime: 'text/plain', size: 1, sha256: 'A'.repeat(43) + '=' }
    expect(() => frankingBytes({ text: 'ok', attachments: [att] })).toThrow('"msg.attachments[0].name"')
    expect(() => frankingBytes({ text: 'ok', attachments: [{ ...att, name: 'x', mime: '\uD800' }] })).toThrow('"msg.attachments[0].mime"')
  })

  it('a lone-surrogate substitute never opens a commitment to U+FFFD (same UTF-8 bytes)', () => {
    const original = 'pay \uFFFD'
    const edited = 'pay \uD800'
    expect(new TextEncoder().encode(edited)).toEqual(new TextEncoder().encode(original))
    const { nf, tf } = frankMessage({ text: original, attachments: [] })
    expect(checkFranking({ text: original, attachments: [] }, nf, tf)).toBe(true)
    expect(checkFranking({ text: edited, attachments: [] }, nf, tf)).toBe(false)
  })
})
