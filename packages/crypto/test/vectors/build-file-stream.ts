/**
 * Builds the file-stream vectors (`npx tsx --conditions=@parley/source
 * test/vectors/build-file-stream.ts` rewrites file-stream.json) from fixed seeds with noble.
 * The test recomputes them with every provider; regenerate only for a versioned format change.
 */
import { writeFileSync } from 'node:fs'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { FILE_CHUNK_BYTES, sealFile, seededRandom } from '../../src/index.js'

/** Plaintext `i` of length `n`: bytes `(i * 7 + j) & 0xff`, so the file needs no data. */
export function vectorPlaintext(n: number, i: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let j = 0; j < n; j++) out[j] = (i * 7 + j) & 0xff
  return out
}

/** The cases: empty, short, one full chunk, a chunk and a bit. */
export const FILE_VECTOR_SIZES = [0, 5, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 3]

export function buildFileVectors() {
  return FILE_VECTOR_SIZES.map((size, i) => {
    const key = new Uint8Array(32).fill(80 + i)
    const sealed = sealFile(key, vectorPlaintext(size, i), { random: seededRandom(new Uint8Array(32).fill(90 + i)) })
    return {
      size, keyHex: bytesToHex(key), saltSeed: 90 + i, sealedLength: sealed.length,
      // Short streams in full; long ones by head and digest.
      sealedHex: sealed.length <= 256 ? bytesToHex(sealed) : undefined,
      sealedHeadHex: bytesToHex(sealed.subarray(0, 81)), sealedSha256: bytesToHex(sha256(sealed)),
    }
  })
}

if (process.argv[1]?.endsWith('build-file-stream.ts')) {
  writeFileSync(new URL('./file-stream.json', import.meta.url), JSON.stringify({ source: 'Parley file stream v2, built by build-file-stream.ts', vectors: buildFileVectors() }, null, 2) + '\n')
}
