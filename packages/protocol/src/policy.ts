/**
 * Encryption policies and the per-conversation mode state machine (docs/architecture.md,
 * "Modes"). A conversation is `server-side` or `e2ee`; the only transition is upward.
 */
import { DowngradeRejectedError, PolicyViolationError } from './errors/index.js'

/** The server-wide encryption policy an integrator configures. */
export const POLICIES = ['server-side', 'optional-e2ee', 'default-e2ee'] as const
export type Policy = (typeof POLICIES)[number]

/** The encryption state of one conversation. */
export const ENCRYPTION_MODES = ['server-side', 'e2ee'] as const
export type EncryptionMode = (typeof ENCRYPTION_MODES)[number]

/** One row of the policy table. */
export interface PolicyRule {
  /** Mode of a conversation created under this policy. */
  readonly initialMode: EncryptionMode
  /** Whether a participant may upgrade a server-side conversation to E2EE. */
  readonly userMayUpgrade: boolean
  /** Whether existing server-side conversations are upgraded on their next send. */
  readonly upgradeOnNextSend: boolean
  /** When the server can read content. */
  readonly serverReadsContent: 'always' | 'until-upgraded' | 'never'
}

/** The policy table from the design, as data. */
export const POLICY_TABLE: Readonly<Record<Policy, PolicyRule>> = {
  'server-side': { initialMode: 'server-side', userMayUpgrade: false, upgradeOnNextSend: false, serverReadsContent: 'always' },
  'optional-e2ee': { initialMode: 'server-side', userMayUpgrade: true, upgradeOnNextSend: false, serverReadsContent: 'until-upgraded' },
  'default-e2ee': { initialMode: 'e2ee', userMayUpgrade: true, upgradeOnNextSend: true, serverReadsContent: 'never' },
}

/** What each mode costs the user, sent in the manifest so apps can show it. */
export const MODE_CAPABILITIES = {
  'server-side': {
    serverModeration: 'yes',
    historyOnNewDevice: 'yes',
    recoveryKeepsHistory: 'yes',
    serverSearch: 'yes',
    localSearch: 'yes: client.search over the device log',
    retention: 'server deletes bodies',
    serverIntegrationsRead: 'yes',
    disappearingMessages: 'yes: a signed per-conversation timer; server deletes rows, each device its copies',
    accountReset: 'yes: resetIdentity after your re-authentication; readable history stays',
  },
  e2ee: {
    serverModeration: 'no: client hooks and verified reports',
    historyOnNewDevice: 'yes: transferred end to end from an existing device while linking (needs that device online)',
    recoveryKeepsHistory: 'yes with an encrypted backup: needs the recovery key (or passphrase) shown once; lost key = no history',
    serverSearch: 'no: local only',
    localSearch: 'yes: client.search over the device log, query never sent',
    retention: 'server deletes ciphertext',
    serverIntegrationsRead: 'no',
    disappearingMessages: 'yes: a signed per-conversation timer; server deletes ciphertext, each device its copies',
    accountReset: 'yes: resetIdentity after your re-authentication; peers accept the new key; old history is gone',
  },
} as const satisfies Record<EncryptionMode, Record<string, string>>
export type ModeCapabilities = typeof MODE_CAPABILITIES

/** True when `value` is a known policy. */
export function isPolicy(value: unknown): value is Policy {
  return typeof value === 'string' && (POLICIES as readonly string[]).includes(value)
}

/** Rank used for pinning: higher is stronger. */
export function modeRank(mode: EncryptionMode): number {
  return mode === 'e2ee' ? 1 : 0
}

/** The stronger of two modes: what a client pins. */
export function highestMode(a: EncryptionMode, b: EncryptionMode): EncryptionMode {
  return modeRank(a) >= modeRank(b) ? a : b
}

/** The mode a new conversation starts in under `policy`. */
export function initialMode(policy: Policy): EncryptionMode {
  return POLICY_TABLE[policy].initialMode
}

/** Mode state of one conversation as the server (or a client) tracks it. */
export interface ModeState {
  readonly mode: EncryptionMode
  /** Set when the policy moved up: the conversation must upgrade before its next send. */
  readonly upgradeRequired: boolean
}

/** Events that drive {@link nextModeState}. */
export type ModeTransition =
  | { readonly type: 'upgrade' }
  | { readonly type: 'policy-changed'; readonly policy: Policy }
  | { readonly type: 'observed'; readonly mode: EncryptionMode }

/** The starting state of a conversation created under `policy`. */
export function createModeState(policy: Policy): ModeState {
  return { mode: initialMode(policy), upgradeRequired: false }
}

/**
 * The mode state machine: `server-side → e2ee`, never back.
 * - `upgrade`: allowed when the policy lets users upgrade (or requires it); idempotent on e2ee.
 * - `policy-changed`: never converts an e2ee conversation; a server-side one under a policy
 *   whose new conversations are e2ee is marked `upgradeRequired`.
 * - `observed`: a frame in some mode arrived; a server-side frame for an e2ee conversation
 *   is a downgrade.
 * @throws {PolicyViolationError} on an upgrade the policy forbids.
 * @throws {DowngradeRejectedError} on any move from e2ee towards server-side.
 */
export function nextModeState(state: ModeState, event: ModeTransition, policy: Policy, conversationId?: string): ModeState {
  switch (event.type) {
    case 'upgrade':
      if (state.mode === 'e2ee') return state
      if (!POLICY_TABLE[policy].userMayUpgrade) {
        throw new PolicyViolationError(`policy "${policy}" does not allow upgrading to end-to-end encryption`, { policy })
      }
      return { mode: 'e2ee', upgradeRequired: false }
    case 'policy-changed':
      if (state.mode === 'e2ee') return { mode: 'e2ee', upgradeRequired: false }
      return { mode: 'server-side', upgradeRequired: POLICY_TABLE[event.policy].upgradeOnNextSend }
    case 'observed':
      assertNoDowngrade(state.mode, event.mode, conversationId)
      return state
  }
}

/**
 * Refuses a frame whose mode is below the pinned mode.
 * @throws {DowngradeRejectedError} when `pinned` is e2ee and `incoming` is server-side.
 */
export function assertNoDowngrade(pinned: EncryptionMode, incoming: EncryptionMode, conversationId?: string): void {
  if (modeRank(incoming) < modeRank(pinned)) {
    throw new DowngradeRejectedError(
      'a server-side frame arrived for an end-to-end encrypted conversation',
      conversationId === undefined ? {} : { conversationId },
    )
  }
}
