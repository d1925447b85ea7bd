/**
 * How the outbox turns a queued send into the frame it emits (outbox.ts): the local checks of an
 * E2EE send, a readable frame (franked, stored), or a batch of E2EE frames encrypted in one
 * crypto-lock turn whose advanced ratchet states and frames are written together before any
 * frame leaves. Building never emits: the outbox decides what goes out and when.
 */
import { filesField } from '../attachments/frame-files.js'
import { MissingPluginError, MissingSessionError, fromBase64, type AttachmentMeta, type DeviceAddress, type MessageRef, type MessageSend } from '@parley/protocol'
import { encryptAttachment, frankMessage, signMessageRef } from '@parley/crypto'
import { verdictToError, type PipelineVerdict } from '@parley/moderation'
import { timerField } from '../disappearing/message-timer.js'
import { silentFlag } from '../receipts/silent.js'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { Directory } from '../sessions/directory.js'
import type { Sessions } from '../sessions/sessions.js'
import type { JsonValue } from '../key-store/key-store.js'
import type { GroupProtocol } from '../groups/group-protocol.js'
import { json, type ConversationRecord, type OutboxEntry } from '../store-layout.js'
import { isTransient, randomId } from '../util.js'
import { encodePayload, type PayloadAttachment } from './payload.js'
import { attachmentMetas } from './send-input.js'

/** One entry's build outcome inside a batch. */
export type Built = { entry: OutboxEntry } | { error: unknown }

/** What building needs from the client. */
export interface FrameBuilderDeps {
  core: ClientCore
  directory: Directory
  sessions: Sessions
  groups: GroupProtocol
  registry: { record(conversationId: string): Promise<ConversationRecord | null> }
  /** Mirrors a built entry into the outbox's queue (called once it is stored). */
  put(entry: OutboxEntry): void
}

/** A group's verified roster head, carried in each message for fork detection (docs/groups.md). */
const rosterHead = (c: Conversation) => (c.kind === 'group' && c._roster ? { version: c._roster.version, head: c._roster.head } : undefined)

export class FrameBuilder {
  constructor(private readonly deps: FrameBuilderDeps) {}

  /** Checks an E2EE send before anything is stored; returns the (non-blocking) verdict. */
  async preflight(c: Conversation, input: { text: string; attachments: AttachmentMeta[] }): Promise<PipelineVerdict> {
    const manifest = this.deps.core.manifest()
    if (manifest) {
      const missing = this.deps.core.pipeline.missingPlugins(manifest.requiredPlugins)
      if (missing.length > 0) {
        throw new MissingPluginError(`the server requires moderation plugins this client does not run: ${missing.map((p) => `${p.name}@${p.version}`).join(', ')}`, { plugins: missing.map((p) => p.name) })
      }
    }
    for (const u of c.kind === 'group' ? c.members : [c.peerUserId]) await this.deps.directory.assertNoPendingIdentity(u)
    const self = this.deps.core.self()
    const verdict = await this.deps.core.pipeline.checkOutgoing(
      { conversationId: c.id, sender: { userId: self.userId, deviceId: self.deviceId }, text: input.text, attachments: input.attachments },
      { where: 'client', policy: manifest?.policy ?? 'default-e2ee', mode: 'e2ee', now: this.deps.core.now() },
    )
    const blocked = verdictToError(verdict)
    if (blocked) throw blocked
    return verdict
  }

  /** Builds a readable (server-side) frame for `entry`, stored before it is returned. */
  async readable(entry: OutboxEntry, c: Conversation): Promise<OutboxEntry> {
    const atts = entry.attachments
    const attMetas = attachmentMetas(atts)
    const { nf, tf } = frankMessage({ text: entry.text, attachments: attMetas, ref: entry.ref, timer: entry.timer })
    const frame: MessageSend = {
      conversationId: c.id, clientMessageId: entry.clientMessageId, tf, mode: 'server-side', ...silentFlag(entry.ref),
      body: {
        text: entry.text, nf, attachments: attMetas.map((m, i) => ({ ...m, data: atts[i]!.data })), ...(rosterHead(c) ? { roster: rosterHead(c)! } : {}),
        ...this.signedRef(c, entry, tf), ...timerField(entry.timer),
      },
    }
    const built = { ...entry, frame, nf }
    await this.deps.core.store.set(entry.key, json(built))
    this.deps.put(built)
    return built
  }

  /**
   * Encrypts a batch of E2EE entries in one crypto-lock turn: each advances the ratchets from
   * where the previous one left them (its changes are layered over the batch's), and every
   * advanced state and built frame is written in ONE `saveChanges` before any frame leaves.
   * An entry that fails leaves no trace in the batch (its layer is dropped).
   */
  async e2ee(batch: { entry: OutboxEntry; c: Conversation }[]): Promise<Built[]> {
    return this.deps.core.lock.run(async () => {
      const self = this.deps.core.self()
      const changes: Record<string, JsonValue | null> = {}
      const perConversation = new Map<string, { targets: DeviceAddress[]; mc: ConversationRecord['modeChange'] }>()
      const out: Built[] = []
      for (const { entry, c } of batch) {
        try {
          let known = perConversation.get(c.id)
          if (!known) {
            // A group goes to every member of the verified roster (pairwise fan-out; docs/groups.md).
            const users = c.kind === 'group' ? [...c.members] : c.peerUserId === self.userId ? [self.userId] : [c.peerUserId, self.userId]
            const targets = await this.deps.directory.targets(users)
            known = { targets, mc: (await this.deps.registry.record(c.id))?.modeChange }
            perConversation.set(c.id, known)
          }
          const layer = Object.create(changes) as Record<string, JsonValue | null>
          const built = await this.encryptEntry(entry, c, known.targets, known.mc, layer)
          Object.assign(changes, layer)
          out.push({ entry: built })
        } catch (error) {
          out.push({ error })
          if (isTransient(error)) break
        }
      }
      // The ratchet states and the frames that spent them land together, before anything leaves.
      if (Object.keys(changes).length > 0) await this.deps.core.store.saveChanges(changes)
      for (const r of out) if ('entry' in r) this.deps.put(r.entry)
      return out
    })
  }

  private async encryptEntry(entry: OutboxEntry, c: Conversation, targets: DeviceAddress[], mc: ConversationRecord['modeChange'], changes: Record<string, JsonValue | null>): Promise<OutboxEntry> {
    const self = this.deps.core.self()
    const attMetas = attachmentMetas(entry.attachments)
    const { nf, tf } = frankMessage({ text: entry.text, attachments: attMetas, ref: entry.ref, timer: entry.timer })
    const encrypted = entry.attachments.map((a) => ({ id: randomId('a-'), ...encryptAttachment(fromBase64(a.data)) }))
    const payloadAtts: PayloadAttachment[] = attMetas.map((m, i) => ({ ...m, id: encrypted[i]!.id, key: encrypted[i]!.key }))
    const head = rosterHead(c)
    const payload = encodePayload({ text: entry.text, attachments: payloadAtts, nf, cmid: entry.clientMessageId, ...(mc ? { mc } : {}), ...(head ? { roster: head } : {}), ...this.signedRef(c, entry, tf), ...timerField(entry.timer) })
    const { envelopes, missing, senderKey }: Awaited<ReturnType<GroupProtocol['encrypt']>> = c.kind === 'group'
      ? await this.deps.groups.encrypt({ conversationId: c.id, targets, plaintext: payload, changes })
      : await this.deps.sessions.encryptFor(targets, payload, c.id, changes)
    for (const device of missing) {
      this.deps.core.reportError({ error: new MissingSessionError(`no session with device "${device.deviceId}": it will not get this message`, { deviceId: device.deviceId }), conversationId: c.id, device })
    }
    if (c.kind !== 'group' && !envelopes.some((e) => e.userId === c.peerUserId) && c.peerUserId !== self.userId) {
      throw new MissingSessionError(`no device of "${c.peerUserId}" can receive end-to-end encrypted messages`, {})
    }
    const frame: MessageSend = {
      conversationId: c.id, clientMessageId: entry.clientMessageId, tf, mode: 'e2ee', envelopes, ...silentFlag(entry.ref),
      attachments: encrypted.map((e) => ({ id: e.id, ciphertext: e.ciphertext })), ...(senderKey ? { senderKey } : {}), ...filesField(attMetas),
    }
    const built = { ...entry, frame, nf }
    changes[entry.key] = json(built)
    return built
  }

  /** The reference of `entry` and this device's signature over its commitment (docs/messages.md). */
  private signedRef(c: Conversation, entry: OutboxEntry, tf: string): { ref?: MessageRef; sig?: string } {
    if (!entry.ref) return {}
    return { ref: entry.ref, sig: signMessageRef(this.deps.core.self().device, { conversationId: c.id, tf }) }
  }

}
