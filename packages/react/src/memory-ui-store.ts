/** The provider's UI store when the app gives none: a map, gone on reload. */
import type { JsonValue } from '@parley/client'
import type { UiStore } from './ui-store.js'

export function memoryUiStore(): UiStore {
  const map = new Map<string, string>()
  return {
    async get<T extends JsonValue = JsonValue>(key: string): Promise<T | null> {
      const v = map.get(key)
      return v === undefined ? null : (JSON.parse(v) as T)
    },
    async set(key: string, value: JsonValue): Promise<void> {
      map.set(key, JSON.stringify(value))
    },
  }
}
