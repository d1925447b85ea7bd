/**
 * A device came back under the same device id with new device keys, its user identity
 * unchanged (docs/groups.md "Returning devices", decision 0022). Sender-key chains are tied
 * to the device that received or sent them, so such a device is treated as a new one.
 */
import { ParleyError } from './parley-error.js'

/**
 * A member device's keys in its user's signed device list are not the keys this device gave a
 * sender-key chain to, or received one from. As an `'error'` event: incoming, a message on a
 * chain the device's previous keys installed (refused; that device's old chains are dropped);
 * outgoing, this device's chain was given to the previous keys (the send went on a new chain,
 * distributed to the current keys). `details.action` says which.
 */
export class DeviceKeysChangedError extends ParleyError<{ userId?: string; deviceId?: string; conversationId?: string; action?: 'refused' | 'rotated' }> {
  static override readonly code: string = 'device_keys_changed'
  static override readonly defaultMessage: string = 'a device returned under the same id with new keys'
}
