/**
 * Conversations: open (idempotent per 1:1 pair, mode from the policy), list, and the signed,
 * one-way upgrade to e2ee, which is stored in history and announced to every participant.
 */
import { randomUUID } from 'node:crypto'
import { createModeState, ForbiddenError, InvalidSignatureError, nextModeState, NotFoundError } from '@parley/protocol'
import { checkModeChange } from '../signatures.js'
import { deliver, flushNotices, me, memberOf, userRoom } from '../context.js'
import { announceCreated, checkOpen } from '../safety/gate.js'
import type { Handler } from './types.js'

export const conversationOpen: Handler<'conversation.open'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    if (f.peerUserId === self.userId) throw new ForbiddenError('a conversation needs another user')
    if (!(await ctx.store.getUser(f.peerUserId))) throw new NotFoundError('unknown user', { resource: 'user', id: f.peerUserId })
    const decision = await checkOpen(ctx, self.userId, f.peerUserId) // safety: canMessage may deny (nothing written)
    const state = createModeState(ctx.policy)
    const { conversation, created } = await ctx.store.openDirectConversation({
      id: `c_${randomUUID()}`, userIds: [self.userId, f.peerUserId], mode: state.mode, upgradeRequired: state.upgradeRequired, now: ctx.now(),
    })
    ctx.conversations.put(conversation)
    // Safety: a first contact may become a message request; a peer who blocks the opener is not told.
    if (created && (await announceCreated(ctx, self.userId, conversation, decision))) {
      ctx.io.to(conversation.members.map(userRoom)).except(s.socket.id).emit('conversation', conversation)
    }
    return { conversation }
  },
}

export const conversationList: Handler<'conversation.list'> = {
  needs: 'registered',
  async run(ctx, s) {
    return { conversations: await ctx.store.listConversations(me(s).userId) }
  },
}

export const modeUpgrade: Handler<'mode.upgrade'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const mc = f.modeChange
    if (mc.userId !== self.userId || mc.deviceId !== self.deviceId) throw new ForbiddenError('a device may only sign mode changes as itself')
    const conversation = await memberOf(ctx, mc.conversationId, self.userId)
    await ctx.closures.assertOpen(mc.conversationId)
    const device = await ctx.store.getDevice(self.userId, self.deviceId)
    if (!device || !(await checkModeChange(ctx, mc, device.signingKey))) throw new InvalidSignatureError('mode change signature does not verify', { what: 'modeChange' })
    // A group is upgraded by an admin only (the signed roster says who; clients check it too).
    if (conversation.kind === 'group' && (await ctx.store.rosterState(conversation.id))?.members[self.userId] !== 'admin') {
      throw new ForbiddenError('only an admin may upgrade a group to end-to-end encryption')
    }
    // Throws PolicyViolationError when the policy forbids upgrading.
    nextModeState({ mode: conversation.encryption, upgradeRequired: conversation.upgradeRequired }, { type: 'upgrade' }, ctx.policy, conversation.id)
    // The mode-change message gets inbox rows too: written and pushed in the group committer's
    // order for these members, so no device sees a later inbox id before it.
    const out = await ctx.committer.runAlone(conversation.members, async () => {
      const up = await ctx.store.upgradeConversation({ conversationId: conversation.id, modeChange: mc, messageId: `mc_${randomUUID()}`, now: ctx.now() })
      ctx.conversations.put(up.conversation)
      if (up.changed && up.message) {
        deliver(ctx, up.message, up.recipients)
        ctx.io.to(up.conversation.members.map(userRoom)).emit('mode', {
          conversationId: up.conversation.id, encryption: 'e2ee', modeChange: mc, seq: up.message.seq,
        })
      }
      return up
    })
    if (out.changed && out.message) await flushNotices(ctx, out.conversation.members)
    return { conversation: out.conversation }
  },
}
