/**
 * Key directory: prekey uploads (signatures checked), device-list updates, and bundle
 * fetches that hand out each one-time prekey once (the store claims it in a transaction);
 * a device fetching its own user gets only its other devices' bundles. Fetches are limited in
 * the store per requester and per requester→target (`limits.keysFetch`, `keysFetchPerTarget`).
 */
import { InvalidSignatureError, NotFoundError, RateLimitedError } from '@parley/protocol'
import { DEFAULT_KEYS_FETCH_LIMIT, DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT, KEYS_LOW_THRESHOLD } from '../options.js'
import { deviceRoom, me, userRoom, type Ctx } from '../context.js'
import { checkDeviceList, checkPreKeySignatures } from '../signatures.js'
import type { Handler } from './types.js'

export const keysPublish: Handler<'keys.publish'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const d = await ctx.store.getDevice(self.userId, self.deviceId)
    if (!d) throw new NotFoundError('device not registered', { resource: 'device' })
    await checkPreKeySignatures(ctx, d.signingKey, {
      ...(f.signedPreKey ? { signedPreKey: f.signedPreKey } : {}),
      kem: [...(f.kemLastResortPreKey ? [f.kemLastResortPreKey] : []), ...(f.kemOneTimePreKeys ?? [])],
    })
    return ctx.store.publishPreKeys(self.userId, self.deviceId, f)
  },
}

/** Users who should hear that `userId`'s devices changed: the user and every conversation peer. */
export async function watchers(ctx: Ctx, userId: string): Promise<string[]> {
  const convs = await ctx.store.listConversations(userId)
  return [...new Set([userId, ...convs.flatMap((c) => c.members)])]
}

export const deviceListPublish: Handler<'devicelist.publish'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const user = await ctx.store.getUser(self.userId)
    if (!user) throw new NotFoundError('unknown user', { resource: 'user' })
    if (f.deviceList.userId !== self.userId) throw new InvalidSignatureError('device list is for another user', { what: 'deviceList' })
    await checkDeviceList(ctx, f.deviceList, user.identityKey, user.deviceList)
    await ctx.store.setDeviceList(self.userId, f.deviceList)
    const event = { userId: self.userId, version: f.deviceList.version, ts: ctx.now() }
    ctx.io.to((await watchers(ctx, self.userId)).map(userRoom)).emit('devicelist.changed', event)
    return { ok: true }
  },
}

export const keysFetch: Handler<'keys.fetch'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    // Fetching one's own user (to reach one's other devices): the requesting device needs no
    // bundle of itself, so the store leaves it out and claims none of its one-time prekeys.
    const self = me(s)
    // Rate-limited in the store (all nodes, across reconnects), per requester and per
    // requester→target, before anything is claimed: one-time prekeys are a finite resource of
    // the target, and every fetch takes one of each kind from each of its devices.
    const limits = ctx.options.limits
    const wait = await ctx.store.takeTokens([
      { key: `keys.fetch\n${self.userId}`, ...(limits?.keysFetch ?? DEFAULT_KEYS_FETCH_LIMIT) },
      { key: `keys.fetch\n${self.userId}\n${f.userId}`, ...(limits?.keysFetchPerTarget ?? DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT) },
    ], ctx.now())
    if (wait > 0) throw new RateLimitedError('too many key fetches', { scope: 'keys.fetch', retryAfterMs: wait })
    const requester = f.userId === self.userId ? self.deviceId : undefined
    const got = await ctx.store.claimBundles(f.userId, requester)
    if (!got) throw new NotFoundError('unknown user', { resource: 'user', id: f.userId })
    for (const r of got.remaining) {
      if (r.oneTimePreKeys < KEYS_LOW_THRESHOLD || r.kemOneTimePreKeys < KEYS_LOW_THRESHOLD) {
        ctx.io.to(deviceRoom({ userId: f.userId, deviceId: r.deviceId })).emit('keys.low', {
          oneTimePreKeys: r.oneTimePreKeys, kemOneTimePreKeys: r.kemOneTimePreKeys, threshold: KEYS_LOW_THRESHOLD,
        })
      }
    }
    return { userId: got.userId, userIdentityKey: got.userIdentityKey, deviceList: got.deviceList, bundles: got.bundles }
  },
}
