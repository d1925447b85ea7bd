/**
 * `devicelist.fetch`: users' signed device lists and identity keys, claiming no prekey. A
 * client checks a signature by a device of another user (a group roster record) against that
 * user's signed list; fetching bundles for that (`keys.fetch`) would spend one of each of the
 * user's one-time prekeys per checking device — in a 100-member group, 199 of them.
 * A device that has only said hello (restoring from a backup, issue 17) may fetch its own
 * user's list, to sign the next version; other users' lists need a registered device.
 */
import { ForbiddenError } from '@parley/protocol'
import type { Handler } from './types.js'
import { me } from '../context.js'

export const deviceListFetch: Handler<'devicelist.fetch'> = {
  needs: 'hello',
  async run(ctx, s, f) {
    if (!s.registered) {
      if (f.userIds.some((u) => u !== s.userId)) throw new ForbiddenError('before registering, a device may fetch only its own user\'s device list')
    } else {
      me(s)
    }
    const lists = []
    for (const userId of new Set(f.userIds)) {
      const u = await ctx.store.getUser(userId)
      if (u) lists.push({ userId, userIdentityKey: u.identityKey, deviceList: u.deviceList })
    }
    return { lists }
  },
}
