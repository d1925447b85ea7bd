/**
 * The "50 concurrent bundle fetches for 10 one-time prekeys" check, shared by the single- and
 * multi-process tests.
 */
import { expect } from 'vitest'
import { ok, type TestDevice } from './client.js'

/** Runs 50 concurrent fetches from `fetchers` (round-robin) against `owner`'s single device. */
export async function fiftyFetches(fetchers: TestDevice[], ownerId: string): Promise<(number | undefined)[]> {
  return Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const set = await ok(fetchers[i % fetchers.length]!.socket, 'keys.fetch', { userId: ownerId })
    expect(set.bundles).toHaveLength(1)
    return set.bundles[0]!.oneTimePreKey?.id
  }))
}

export function expectTenDistinct(ids: (number | undefined)[]): void {
  const handed = ids.filter((x): x is number => x !== undefined)
  expect(handed).toHaveLength(10)
  expect(new Set(handed).size).toBe(10)
  expect(ids.filter((x) => x === undefined)).toHaveLength(40)
}

