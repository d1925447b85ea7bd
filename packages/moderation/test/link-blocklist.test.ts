import { describe, expect, it } from 'vitest'
import { extractHosts, linkBlocklist, normalizeHost } from '../src/index.js'
import { ctx, message } from './fixtures.js'

const plugin = linkBlocklist({ hosts: ['evil.example', 'Bücher.example', 'xn--e1afmkfd.com', 'EXACT.test.'], action: 'block' })
const check = (text: string) => plugin.checkOutgoing!(message(text), { ...ctx(), hook: 'checkOutgoing', signal: new AbortController().signal })

describe('host helpers', () => {
  it('normalises to lowercase punycode without a trailing dot', () => {
    expect(normalizeHost('Bücher.Example.')).toBe('xn--bcher-kva.example')
    expect(normalizeHost('https://EVIL.example:8080/x?y')).toBe('evil.example')
    expect(normalizeHost('')).toBeNull()
    expect(normalizeHost('http://[::1')).toBeNull()
  })

  it('extracts hosts with and without scheme, and from e-mail addresses', () => {
    expect(extractHosts('go to https://a.example/x, b.example/path or mail me@c.example.').sort()).toEqual(['a.example', 'b.example', 'c.example'])
    expect(extractHosts('no links here')).toEqual([])
  })
})

describe('linkBlocklist', () => {
  it('allows unrelated and look-alike-suffix hosts', () => {
    expect(check('see https://good.example and notevil.example and evil.example.org')).toEqual({ action: 'allow' })
  })

  const bypasses: Array<[string, string]> = [
    ['a URL with scheme', 'click https://evil.example/login'],
    ['a bare host', 'visit evil.example now'],
    ['a bare host with path and port', 'evil.example:8443/x?y=1'],
    ['a subdomain', 'http://login.secure.evil.example/'],
    ['mixed case', 'HTTPS://EvIl.ExAmPlE'],
    ['a trailing dot', 'go to evil.example. today'],
    ['a fullwidth dot and letters', 'ｅｖｉｌ．ｅｘａｍｐｌｅ'],
    ['an ideographic full stop', 'evil。example'],
    ['a zero-width space in the host', 'evil\u200B.example'],
    ['userinfo tricks', 'https://good.example@evil.example/'],
    ['percent-encoded dot', 'http://evil%2Eexample/'],
    ['backslashes', 'http:\\\\evil.example\\x'],
    ['an e-mail address', 'write to admin@evil.example'],
    ['the punycode form of a Unicode-listed host', 'http://xn--bcher-kva.example/'],
    ['the Unicode form of a punycode-listed host', 'http://пример.com'],
    ['a Unicode subdomain of a Unicode-listed host', 'shop.BÜCHER.example'],
    ['an exact-listed host with trailing dot in the list', 'exact.test'],
    ['a link in parentheses', '(see https://evil.example)'],
  ]
  for (const [what, text] of bypasses) {
    it(`catches ${what}`, () => expect(check(text)).toEqual({ action: 'block', reason: 'links to a blocked site' }))
  }

  it('matches IPv4 hosts in any notation', () => {
    const ip = linkBlocklist({ hosts: ['127.0.0.1'], action: 'flag' })
    const c = { ...ctx(), hook: 'checkIncoming' as const, signal: new AbortController().signal }
    expect(ip.checkIncoming!(message('http://0x7f.1/'), c)).toMatchObject({ action: 'flag' })
    expect(ip.checkIncoming!(message('http://2130706433/'), c)).toMatchObject({ action: 'flag' })
    expect(ip.checkIncoming!(message('127.0.0.2'), c)).toEqual({ action: 'allow' })
  })

  it('rejects hosts that do not parse', () => {
    expect(() => linkBlocklist({ hosts: ['http://[::1'], action: 'block' })).toThrow(/hosts\[0\]/)
    expect(() => linkBlocklist({ hosts: 'evil' as never, action: 'block' })).toThrow(TypeError)
  })
})
