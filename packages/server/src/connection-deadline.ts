/**
 * How long a connection may hold one of its user's `maxConnectionsPerUser` slots without being a
 * registered device (review findings M3 and L5). The handshake counts every connection, so a
 * holder of the user's token could keep slots for ever with sockets that never say `hello`
 * (closed after `limits.helloTimeoutMs`) or that say it as an unregistered device id and then
 * wait (closed after `limits.unregisteredSessionTimeoutMs` without link or blob activity). A
 * registered device is never closed here: it is the user's own, and a reset or revoke handles it.
 */

/** Frames whose success shows an unregistered session still being set up (a link, a restore). */
const REFRESHES = /^(link|blob)\./

export class ConnectionDeadline {
  private timer: ReturnType<typeof setTimeout> | undefined
  private phase: 'hello' | 'unregistered' | 'done' = 'hello'

  /**
   * @param close closes the connection; `why` is for the log.
   * @param limits the hello deadline and the unregistered session's idle bound, ms.
   */
  constructor(
    private readonly close: (why: string) => void,
    private readonly limits: { helloMs: number; unregisteredMs: number },
  ) {
    this.arm(limits.helloMs, 'no hello in time')
  }

  /**
   * After each frame the connection's session handled successfully. A registered session is
   * done; the first successful `hello` of an unregistered one starts its idle bound, and only a
   * link or blob frame restarts it — repeating `hello` does not.
   */
  handled(event: string, session: { deviceId?: string; registered: boolean }): void {
    if (this.phase === 'done') return
    if (session.registered) return this.stop()
    if (!session.deviceId) return
    if (this.phase === 'hello' || REFRESHES.test(event)) {
      this.phase = 'unregistered'
      this.arm(this.limits.unregisteredMs, 'unregistered session idle too long')
    }
  }

  /** On disconnect. */
  stop(): void {
    this.phase = 'done'
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(ms: number, why: string): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.phase = 'done'
      this.close(why)
    }, ms)
    // A pending deadline must not keep a process alive that is otherwise done.
    this.timer.unref()
  }
}
