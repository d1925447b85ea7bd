/**
 * `hello.challenge`, `hello`, `device.register` and device linking. A device says hello,
 * registers once (its signed device list is verified against the user's pinned identity key),
 * and only then may do anything else. A device the server already knows must prove, in its
 * hello, possession of its registered signing key over this connection's challenge nonce —
 * the user's token alone does not make a connection that device. Catch-up from the durable
 * inbox cursor starts right after the ack.
 */
import {
  DeviceProofError, DeviceRevokedError, ForbiddenError, IdentityChangedError, InvalidDeviceListError, negotiateVersion, NotFoundError,
  toBase64, type DeviceAddress, type Hello,
} from '@parley/protocol'
import { HELLO_PROOF_NONCE_BYTES, systemRandom } from '@parley/crypto'
import { CATCH_UP_PAGE, HELLO_CHALLENGE_TTL_MS, LINK_TTL_MS } from '../options.js'
import { deviceRoom, linkRoom, me, sendPendingNotices, toWire, userRoom, type Ctx, type Session } from '../context.js'
import { watchers } from './keys.js'
import { checkResetTicket } from '../recovery/reset-ticket.js'
import { suspendedError } from '../moderation/api.js'
import { checkBundle, checkDeviceList, checkHelloProof, checkPreKeySignatures } from '../signatures.js'
import type { Handler } from './types.js'

/**
 * Joins the device rooms and marks the session registered — unless the user is suspended. The
 * check runs after joining: a suspension committed before it is seen here, and one committed
 * after it finds this socket in the user's rooms (`suspendUser` disconnects every connection
 * of the user, which each joined at connect). `hello` has already refused a suspended user;
 * this check closes the race with a suspension committed since.
 * @throws {AccountSuspendedError}
 */
async function activate(ctx: Ctx, s: Session, device: DeviceAddress): Promise<void> {
  const rooms = [userRoom(device.userId), deviceRoom(device)]
  await s.socket.join(rooms)
  const suspension = await ctx.store.moderation.suspension(device.userId, ctx.now())
  if (suspension) {
    for (const room of rooms) await s.socket.leave(room)
    throw suspendedError(suspension)
  }
  s.registered = true
  s.socket.data.deviceId = device.deviceId
}

/** Pushes everything after the device's cursor, then pending notices (after the ack went out). */
export async function catchUp(ctx: Ctx, s: Session): Promise<void> {
  const device = me(s)
  const d = await ctx.store.getDevice(device.userId, device.deviceId)
  let after = d?.inboxCursor ?? 0
  for (;;) {
    if (!s.socket.connected) return
    const page = await ctx.store.inboxAfter(device, after, CATCH_UP_PAGE, ctx.now())
    for (const row of page) {
      s.socket.emit('message', toWire(ctx, row))
      if (row.message.kind === 'mode_change' && row.message.modeChange) {
        s.socket.emit('mode', { conversationId: row.message.conversationId, encryption: 'e2ee', modeChange: row.message.modeChange, seq: row.message.seq })
      }
    }
    if (page.length < CATCH_UP_PAGE) break
    after = page[page.length - 1]!.inboxId
  }
  await sendPendingNotices(ctx, device, (n) => s.socket.emit('notice', n))
}

function scheduleCatchUp(ctx: Ctx, s: Session): void {
  // setImmediate: after the ack callback has been sent.
  setImmediate(() => {
    void ctx.track(catchUp(ctx, s)).catch((e) => ctx.reportError(e, { where: 'delivery', event: 'catch-up', userId: s.userId, deviceId: s.deviceId }))
  })
}

/** A fresh single-use nonce for this connection; replaces any earlier one. */
export const helloChallenge: Handler<'hello.challenge'> = {
  needs: 'none',
  async run(ctx, s) {
    const nonce = toBase64(systemRandom(HELLO_PROOF_NONCE_BYTES))
    s.challenge = { nonce, expiresAt: ctx.now() + HELLO_CHALLENGE_TTL_MS }
    return { nonce, expiresInMs: HELLO_CHALLENGE_TTL_MS }
  },
}

/**
 * Checks a hello proof against the connection's challenge and the registered signing key.
 * The challenge is consumed whatever the outcome.
 * @throws {DeviceProofError} with the reason.
 */
async function checkProof(ctx: Ctx, s: Session, frame: Hello, signingKey: string): Promise<void> {
  const challenge = s.challenge
  delete s.challenge
  const fail = (reason: NonNullable<DeviceProofError['details']['reason']>, message: string) => new DeviceProofError(message, { deviceId: frame.deviceId, reason })
  if (!frame.proof) throw fail('missing', 'this device is registered: hello must carry a proof of its signing key (hello.challenge first)')
  if (!challenge) throw fail('no_challenge', 'no outstanding hello.challenge on this connection')
  if (ctx.now() > challenge.expiresAt) throw fail('expired', 'the hello.challenge nonce expired')
  if (frame.proof.nonce !== challenge.nonce) throw fail('wrong_nonce', 'the proof is not over this connection\'s challenge')
  if (!(await checkHelloProof(ctx, signingKey, { nonce: challenge.nonce, userId: s.userId, deviceId: frame.deviceId }, frame.proof.signature))) {
    throw fail('bad_signature', 'the proof does not verify under the device\'s registered signing key')
  }
}

export const hello: Handler<'hello'> = {
  needs: 'none',
  async run(ctx, s, frame) {
    if (s.deviceId && s.deviceId !== frame.deviceId) throw new ForbiddenError('a connection acts as one device only')
    const version = negotiateVersion(frame.versions)
    if (await ctx.store.moderation.isRevoked(s.userId, frame.deviceId)) throw new DeviceRevokedError(undefined, { deviceId: frame.deviceId })
    // Registered device or not (review finding L4): an unregistered id may still fetch blobs
    // and device lists or ask to be linked. Checked before the session takes the device id, so
    // a refused connection stays one without hello (and the hello deadline closes it). A
    // suspension committed after this check finds the socket in the user's connections room.
    const suspension = await ctx.store.moderation.suspension(s.userId, ctx.now())
    if (suspension) throw suspendedError(suspension)
    const d = await ctx.store.getDevice(s.userId, frame.deviceId)
    const registered = !!d && d.active
    // A known device proves its key, unless this connection already did (a repeated hello).
    if (registered && !(s.registered && s.deviceId === frame.deviceId)) await checkProof(ctx, s, frame, d.signingKey)
    s.deviceId = frame.deviceId
    s.version = version
    s.socket.data.version = version
    if (registered) {
      await activate(ctx, s, { userId: s.userId, deviceId: frame.deviceId })
      scheduleCatchUp(ctx, s)
    }
    return { version, userId: s.userId, deviceId: frame.deviceId, registered, inboxCursor: d?.inboxCursor ?? 0, manifest: ctx.manifest }
  },
}

export const deviceRegister: Handler<'device.register'> = {
  needs: 'hello',
  async run(ctx, s, f) {
    if (f.deviceId !== s.deviceId) throw new ForbiddenError('a device may only register itself')
    if (f.deviceList.userId !== s.userId) throw new ForbiddenError('the device list is for another user')
    // Its device list and bundle are public (keys.fetch): replaying them must not attach a
    // connection to a device another connection registered meanwhile.
    const existing = await ctx.store.getDevice(s.userId, f.deviceId)
    if (existing?.active && !s.registered) {
      throw new DeviceProofError('this device is registered: say hello again with a proof of its signing key', { deviceId: f.deviceId, reason: 'missing' })
    }
    const user = await ctx.store.getUser(s.userId)
    if (user && user.identityKey !== f.userIdentityKey) throw new IdentityChangedError('a different user identity key is pinned for this user', { userId: s.userId })
    // After an account reset the new identity needs the reset's one-time ticket (decision 0024).
    const resetTicketHash = user ? undefined : await checkResetTicket(ctx, s.userId, f.resetTicket)
    await checkDeviceList(ctx, f.deviceList, f.userIdentityKey, user?.deviceList)
    const entry = f.deviceList.devices.find((d) => d.deviceId === f.deviceId)
    if (!entry || entry.signingKey !== f.signingKey || entry.identityKey !== f.identityKey) {
      throw new InvalidDeviceListError('this device (with these keys) is not in the signed device list', { userId: s.userId })
    }
    await checkBundle(ctx, {
      deviceId: f.deviceId, signingKey: f.signingKey, identityKey: f.identityKey, signedPreKey: f.signedPreKey,
      kemPreKey: f.kemLastResortPreKey, kemPreKeyIsLastResort: true,
    })
    await checkPreKeySignatures(ctx, f.signingKey, { kem: f.kemOneTimePreKeys, kemLabel: (k) => `kemOneTimePreKeys[${k.id}]` })
    // The device id came back with new keys (decision 0022): it holds no chain its previous keys were given.
    if (existing && (existing.signingKey !== f.signingKey || existing.identityKey !== f.identityKey)) {
      await ctx.store.senderKeys.dropDevice({ userId: s.userId, deviceId: f.deviceId })
    }
    const { resetTicket: _ticket, ...registration } = f
    await ctx.store.registerDevice({ ...registration, userId: s.userId, now: ctx.now(), ...(resetTicketHash !== undefined ? { resetTicketHash } : {}) })
    await activate(ctx, s, { userId: s.userId, deviceId: f.deviceId })
    if (!user || user.deviceList.version !== f.deviceList.version) {
      // The user's other devices and every conversation peer: a peer that keeps the old list
      // would encrypt to too few devices and have every send refused (a linked device).
      ctx.io.to((await watchers(ctx, s.userId)).map(userRoom)).emit('devicelist.changed', { userId: s.userId, version: f.deviceList.version, ts: ctx.now() })
    }
    scheduleCatchUp(ctx, s)
    return { ok: true }
  },
}

export const linkRequest: Handler<'link.request'> = {
  needs: 'hello',
  async run(ctx, s, f) {
    if (f.deviceId !== s.deviceId) throw new ForbiddenError('a device may only link itself')
    await ctx.store.putLinkRequest({ codeHash: f.codeHash, userId: s.userId, deviceId: f.deviceId, ephemeralKey: f.ephemeralKey, expiresAt: ctx.now() + LINK_TTL_MS })
    await s.socket.join(linkRoom(f.codeHash))
    return { ok: true }
  },
}

async function ownLink(ctx: Ctx, s: Session, codeHash: string) {
  const req = await ctx.store.getLinkRequest(codeHash, ctx.now())
  // Another user's code looks exactly like an unknown one.
  if (!req || req.userId !== me(s).userId) throw new NotFoundError('no device is waiting under this code', { resource: 'link' })
  return req
}

export const linkLookup: Handler<'link.lookup'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const req = await ownLink(ctx, s, f.codeHash)
    return { deviceId: req.deviceId, ephemeralKey: req.ephemeralKey }
  },
}

export const linkComplete: Handler<'link.complete'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    await ownLink(ctx, s, f.codeHash)
    ctx.io.to(linkRoom(f.codeHash)).emit('link.payload', { codeHash: f.codeHash, ephemeralKey: f.ephemeralKey, ciphertext: f.ciphertext })
    await ctx.store.deleteLinkRequest(f.codeHash)
    return { ok: true }
  },
}
