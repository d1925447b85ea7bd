/**
 * Protocol version negotiation. A client offers the versions it speaks in `hello`; the server
 * answers with the highest version both support, or `UnsupportedVersionError`.
 */
import { UnsupportedVersionError } from './errors/index.js'

/**
 * The protocol version this build speaks natively. 2: ratchet messages carry a header MAC
 * (docs/protocol.md "Version 2"); a version-1 peer's messages cannot be read, so 1 is not offered.
 */
export const PROTOCOL_VERSION = 2

/** Every protocol version this build can speak, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [2]

/**
 * Picks the highest version present in both lists.
 * @throws {UnsupportedVersionError} when the lists share no version.
 * @example negotiateVersion([1, 2], [2]) // → 2
 */
export function negotiateVersion(
  offered: readonly number[],
  supported: readonly number[] = SUPPORTED_PROTOCOL_VERSIONS,
): number {
  let best = -1
  for (const v of offered) if (supported.includes(v) && v > best) best = v
  if (best < 0) {
    throw new UnsupportedVersionError(
      `no common protocol version: offered [${offered.join(', ')}], supported [${supported.join(', ')}]`,
      { offered: [...offered], supported: [...supported] },
    )
  }
  return best
}
