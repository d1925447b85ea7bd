/**
 * `conversation.disappearing` (issue 17): a member's device stores a signed timer setting for
 * the conversation, in every mode. The server checks that the device signs as itself, that it
 * is a member, and the signature under its registered signing key; the store takes it only at
 * the next version; every member's devices get it as a `disappearing` event and check it again
 * (the client believes only what verifies). Later sends get `expiresAt` from it.
 */
import { DisappearingRejectedError, disappearingSigningText, ForbiddenError, type DisappearingSetting } from '@parley/protocol'
import { nobleProvider, verifyWith } from '@parley/crypto'
import { me, memberOf, userRoom, type Ctx } from '../context.js'
import { broadcastDisappearing } from '../disappearing/events.js'
import type { Handler } from './types.js'

const utf8 = new TextEncoder()

/** The setting's signature on the server's provider: false for anything malformed. */
async function verifies(ctx: Ctx, setting: DisappearingSetting, signingKey: string): Promise<boolean> {
  let bytes: Uint8Array
  try {
    bytes = utf8.encode(disappearingSigningText(setting))
  } catch {
    return false
  }
  return verifyWith(ctx.crypto ?? nobleProvider, signingKey, bytes, setting.signature)
}

export const conversationDisappearing: Handler<'conversation.disappearing'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const setting = f.setting
    if (setting.userId !== self.userId || setting.deviceId !== self.deviceId) throw new ForbiddenError('a device may only sign a setting as itself')
    await memberOf(ctx, setting.conversationId, self.userId)
    await ctx.closures.assertOpen(setting.conversationId)
    const device = await ctx.store.getDevice(self.userId, self.deviceId)
    if (!device || !(await verifies(ctx, setting, device.signingKey))) {
      throw new DisappearingRejectedError('the setting does not verify under this device\'s signing key', { conversationId: setting.conversationId, reason: 'bad_signature' })
    }
    const conversation = await ctx.store.setDisappearing(setting)
    ctx.conversations.put(conversation)
    broadcastDisappearing(ctx, conversation.id)
    ctx.io.to(conversation.members.map(userRoom)).emit('disappearing', { setting })
    return { conversation }
  },
}
