/**
 * Keys grouped under each of their `/`-ended prefixes (`msg/c1/0001` under `msg/` and
 * `msg/c1/`), so `keys('msg/c1/')` reads one group instead of testing every key in the store —
 * the client lists such prefixes on hot paths (actions waiting for a message's commitment, on
 * every message received). A prefix not ending in `/` falls back to a scan.
 */
export class PrefixIndex {
  private readonly groups = new Map<string, Set<string>>()

  add(key: string): void {
    for (let i = key.indexOf('/'); i !== -1; i = key.indexOf('/', i + 1)) {
      const prefix = key.slice(0, i + 1)
      let group = this.groups.get(prefix)
      if (!group) this.groups.set(prefix, (group = new Set()))
      group.add(key)
    }
  }

  remove(key: string): void {
    for (let i = key.indexOf('/'); i !== -1; i = key.indexOf('/', i + 1)) {
      const prefix = key.slice(0, i + 1)
      const group = this.groups.get(prefix)
      if (!group) continue
      group.delete(key)
      if (group.size === 0) this.groups.delete(prefix)
    }
  }

  /** The keys starting with `prefix`, sorted; `all` is scanned only for a prefix not ending in `/`. */
  keys(prefix: string, all: Iterable<string>): string[] {
    if (prefix.endsWith('/')) return [...(this.groups.get(prefix) ?? [])].sort()
    const out: string[] = []
    for (const k of all) if (k.startsWith(prefix)) out.push(k)
    return out.sort()
  }
}
