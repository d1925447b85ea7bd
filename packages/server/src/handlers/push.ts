/**
 * `push.register`, `push.unregister` (issue 18, docs/push.md): a registered device stores or
 * forgets how it wants to be woken while offline. Only for the sending device itself, never for
 * another; at most `MAX_PUSH_REGISTRATIONS` per device (the oldest others go).
 */
import { MAX_PUSH_REGISTRATIONS } from '@parley/protocol'
import { me } from '../context.js'
import type { Handler } from './types.js'

export const pushRegister: Handler<'push.register'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const registrations = await ctx.store.push.register(me(s), f.registration, ctx.now(), MAX_PUSH_REGISTRATIONS)
    return { registrations }
  },
}

export const pushUnregister: Handler<'push.unregister'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    return { removed: await ctx.store.push.unregister(me(s), f.id) }
  },
}
