import { describe, expect, it } from 'vitest'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { toBase64, type AttachmentMeta } from '@parley/protocol'
import { createPipeline, hashMatch, sha256Hex } from '../src/index.js'
import { ctx, message } from './fixtures.js'

const bad = sha256(utf8ToBytes('known bad file'))
const good = sha256(utf8ToBytes('holiday photo'))
const att = (digest: Uint8Array, name = 'f.jpg'): AttachmentMeta => ({ name, mime: 'image/jpeg', size: 10, sha256: toBase64(digest) })

describe('hashMatch', () => {
  it('converts hex and base64 digests to one form', () => {
    expect(sha256Hex(toBase64(bad))).toBe(bytesToHex(bad))
    expect(sha256Hex(bytesToHex(bad).toUpperCase())).toBe(bytesToHex(bad))
    expect(sha256Hex('abc')).toBeNull()
    expect(sha256Hex(toBase64(new Uint8Array(16)))).toBeNull()
  })

  for (const [form, digest] of [['hex', bytesToHex(bad)], ['HEX', bytesToHex(bad).toUpperCase()], ['base64', toBase64(bad)]] as const) {
    it(`blocks an attachment on a ${form} list, whatever its name`, async () => {
      const p = createPipeline({ plugins: [hashMatch({ sha256: [digest] })] })
      expect(await p.checkOutgoing(message('hi', [att(good), att(bad, 'innocent.txt')]), ctx())).toMatchObject({ action: 'block', plugin: 'hash-match' })
      expect(await p.checkIncoming(message('hi', [att(good)]), ctx())).toMatchObject({ action: 'allow' })
    })
  }

  it('asks the perceptual hook about attachments the list missed, with the hook context', async () => {
    const asked: string[] = []
    const p = createPipeline({
      plugins: [
        hashMatch({
          sha256: [],
          action: 'flag',
          perceptual: async (a, c) => {
            asked.push(`${a.name}:${c.hook}:${c.signal instanceof AbortSignal}`)
            return a.name === 'near-duplicate.jpg'
          },
        }),
      ],
    })
    expect(await p.checkOutgoing(message('', [att(good, 'a.jpg'), att(good, 'near-duplicate.jpg')]), ctx())).toMatchObject({ action: 'flag' })
    expect(asked).toEqual(['a.jpg:checkOutgoing:true', 'near-duplicate.jpg:checkOutgoing:true'])
    expect(await p.checkOutgoing(message('no attachments'), ctx())).toMatchObject({ action: 'allow' })
  })

  it('a perceptual hook that throws fails closed through the pipeline', async () => {
    const errors: unknown[] = []
    const p = createPipeline({ plugins: [hashMatch({ sha256: [], perceptual: () => { throw new Error('model missing') } })], onError: (e) => errors.push(e) })
    expect(await p.checkOutgoing(message('', [att(good)]), ctx())).toMatchObject({ action: 'block', reason: 'plugin failed' })
    expect(errors).toHaveLength(1)
  })

  it('rejects malformed digests, naming the entry', () => {
    expect(() => hashMatch({ sha256: [bytesToHex(bad), 'zz'] })).toThrow(/sha256\[1\]/)
    expect(() => hashMatch({ sha256: 'x' as never })).toThrow(TypeError)
  })
})
