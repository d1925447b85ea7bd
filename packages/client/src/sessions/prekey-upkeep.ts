/**
 * Keeps this device's prekeys healthy while the client runs: answers `keys.low` with one
 * refill per burst, and runs the signed-prekey rotation (prekey-rotation.ts) once caught up,
 * hourly, and at once when a signed prekey reached its limit of initial messages. At most one
 * refill and one rotation at a time; failures are reported, never thrown.
 */
import { isTransient } from '../util.js'
import { PREKEY_REFILL_DELAY_MS, PREKEY_ROTATION_CHECK_MS } from '../constants.js'
import type { ClientCore } from '../core.js'
import { maintainPreKeys, type PreKeyRotationOptions } from './prekey-rotation.js'
import { refillPreKeys, type PreKeysLow } from './registration.js'

export class PreKeyUpkeep {
  private refillTimer: ReturnType<typeof setTimeout> | null = null
  private lowPreKeys: PreKeysLow | null = null
  private refilling: Promise<void> | null = null
  private rotationTimer: ReturnType<typeof setInterval> | null = null
  private maintaining: Promise<void> | null = null
  private stopped = false

  /** @param ready true while the client is connected and caught up (rotation runs only then). */
  constructor(private readonly core: ClientCore, private readonly rotation: Required<PreKeyRotationOptions>, private readonly ready: () => boolean) {}

  /**
   * Answers `keys.low` once per burst, {@link PREKEY_REFILL_DELAY_MS} later: the server still
   * holds the remaining one-time keys and a last-resort key, so nothing waits for the refill.
   */
  onLow(low: PreKeysLow): void {
    this.lowPreKeys = low
    if (this.refillTimer || this.stopped) return
    this.refillTimer = setTimeout(() => {
      this.refilling = refillPreKeys(this.core, this.lowPreKeys!)
        .catch((e) => {
          if (!this.stopped) this.core.reportError({ error: e })
        })
        .finally(() => {
          this.refillTimer = null
          this.refilling = null
        })
    }, PREKEY_REFILL_DELAY_MS)
  }

  /**
   * Once caught up after a connect (what arrived while away was decrypted first): rotates when
   * due and deletes replaced secrets, then checks hourly while running.
   */
  async afterCatchUp(): Promise<void> {
    await this.rotate()
    if (!this.rotationTimer && !this.stopped) {
      this.rotationTimer = setInterval(() => void (this.ready() && this.rotate()), PREKEY_ROTATION_CHECK_MS)
      ;(this.rotationTimer as { unref?: () => void }).unref?.() // never keeps a Node process alive
    }
  }

  /** A signed prekey reached its limit of initial messages: rotate after the current inbox batch (which holds the crypto lock). */
  rotateSoon(): void {
    setTimeout(() => void (this.ready() && this.rotate()), 0)
  }

  /** Stops the timers and waits for a refill or rotation in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.refillTimer) clearTimeout(this.refillTimer)
    if (this.rotationTimer) clearInterval(this.rotationTimer)
    await this.refilling
    await this.maintaining
  }

  /** Runs {@link maintainPreKeys} once at a time. */
  private rotate(): Promise<void> {
    this.maintaining ??= maintainPreKeys(this.core, this.rotation)
      .then(() => undefined)
      .catch((e) => {
        if (!this.stopped && !isTransient(e)) this.core.reportError({ error: e })
      })
      .finally(() => {
        this.maintaining = null
      })
    return this.maintaining
  }
}
