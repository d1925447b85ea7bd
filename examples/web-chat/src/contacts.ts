/**
 * The demo's who-can-DM-whom rule (the server option `canMessage`, docs/safety-controls.md):
 * the suggested demo users (alice, bob, carol) are one another's contacts and may message each
 * other freely; a first contact between anyone else arrives as a message request. A real app
 * would look up follows, contacts or an age gate here.
 */
import type { CanMessageDecision } from '@parley/protocol'
import { DEMO_USERS } from './demo-auth.js'

const CONTACTS: ReadonlySet<string> = new Set(DEMO_USERS)

/** `canMessage(from, to)`: `'allow'` between demo contacts, `'request'` otherwise. */
export function demoCanMessage(from: string, to: string): CanMessageDecision {
  return CONTACTS.has(from) && CONTACTS.has(to) ? 'allow' : 'request'
}
