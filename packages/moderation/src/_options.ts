/** Internal option checks shared by the stock plugins and sinks (not exported from the package). */

/** Checks the content-hook list shared by the content plugins; returns it. */
export function _contentHooks(hooks: ReadonlyArray<'checkOutgoing' | 'checkIncoming'> | undefined, arg = 'hooks'): Array<'checkOutgoing' | 'checkIncoming'> {
  const list = hooks ?? ['checkOutgoing', 'checkIncoming']
  if (!Array.isArray(list) || list.length === 0) throw new TypeError(`"${arg}" expected a non-empty array`)
  for (const h of list) {
    if (h !== 'checkOutgoing' && h !== 'checkIncoming') throw new TypeError(`"${arg}" expected 'checkOutgoing' | 'checkIncoming', got ${String(h)}`)
  }
  return [...new Set(list)]
}

/** Checks the `action` option shared by every stock plugin; returns it. */
export function _action(action: unknown): 'block' | 'flag' {
  if (action !== 'block' && action !== 'flag') throw new TypeError(`"action" expected 'block' | 'flag', got ${String(action)}`)
  return action
}

/** Checks a plugin `name` option; returns it or the default. */
export function _name(name: unknown, fallback: string): string {
  if (name === undefined) return fallback
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) throw new TypeError('"name" expected a string of 1..64 characters')
  return name
}

