/**
 * Link blocklist (docs/moderation.md, "Link blocklist"). Finds every host in a message, with
 * or without a scheme, converts it with the WHATWG URL parser (IDN → punycode, lowercase,
 * IPv4 forms canonicalised, percent-decoding) and matches it, or any parent domain, against
 * the blocklist. Runs in browsers and Node alike (no `node:url`).
 */
import type { ModerationPlugin, PlainMessage, Verdict } from '@parley/protocol'
import { _action, _contentHooks, _name } from '../_options.js'
import { MODERATION_VERSION } from '../version.js'

/** Most hosts one blocklist accepts. */
export const MAX_BLOCKED_HOSTS = 100_000
/** Most candidate hosts examined per message (a message is at most 8,000 characters). */
export const MAX_HOSTS_PER_MESSAGE = 512

/** Options of {@link linkBlocklist}. */
export interface LinkBlocklistOptions {
  /** Hosts to block; each also blocks its subdomains. Unicode or punycode, any case. */
  hosts: readonly string[]
  /** What a match does. */
  action: 'block' | 'flag'
  /** The verdict's reason. Default `'links to a blocked site'`. */
  reason?: string
  /** Plugin name. Default `'link-blocklist'`. */
  name?: string
  /** Which content hooks to install. Default both. */
  hooks?: ReadonlyArray<'checkOutgoing' | 'checkIncoming'>
}

// Dots that IDNA treats as label separators: ideographic, fullwidth and halfwidth full stops.
const IDNA_DOTS = /[\u3002\uFF0E\uFF61]/g
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0]/gu
const SCHEME_URL = /[a-z][a-z0-9+.-]*:[\\/]{1,2}[^\s<>"'`()[\]{}]+/giu
const HOST_RUN = /[\p{L}\p{N}\p{M}_-]+(?:\.[\p{L}\p{N}\p{M}_-]+)+\.?/gu

/**
 * The canonical ASCII form of a host or URL's host: punycode, lowercase, no trailing dot.
 * Returns `null` when it does not parse as a host.
 *
 * @example normalizeHost('Bücher.Example.') // 'xn--bcher-kva.example'
 */
export function normalizeHost(input: string): string | null {
  if (typeof input !== 'string' || input.length === 0) return null
  const cleaned = input.normalize('NFKC').replace(INVISIBLE, '').replace(IDNA_DOTS, '.')
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(cleaned) ? cleaned : `http://${cleaned}`)
  } catch {
    return null
  }
  const host = url.hostname.replace(/\.+$/, '')
  return host.length > 0 ? host : null
}

/**
 * Every host named in `text`: URLs with a scheme, bare domains (`evil.com/x`), e-mail
 * domains, in Unicode or punycode. Each in {@link normalizeHost} form, at most
 * {@link MAX_HOSTS_PER_MESSAGE}.
 *
 * @example extractHosts('see https://a.example/x and b.example') // ['a.example', 'b.example']
 */
export function extractHosts(text: string): string[] {
  if (typeof text !== 'string') return []
  const cleaned = text.normalize('NFKC').replace(INVISIBLE, '').replace(IDNA_DOTS, '.')
  const hosts = new Set<string>()
  const add = (candidate: string): boolean => {
    const h = normalizeHost(candidate)
    if (h !== null) hosts.add(h)
    return hosts.size < MAX_HOSTS_PER_MESSAGE
  }
  // With a scheme, the URL parser decides the host (userinfo, backslashes, %-escapes, IPs).
  for (const m of cleaned.matchAll(SCHEME_URL)) if (!add(m[0])) return [...hosts]
  // Without one, any dotted run of letters/digits may be a host; extra candidates are harmless.
  for (const m of cleaned.matchAll(HOST_RUN)) if (!add(m[0])) return [...hosts]
  return [...hosts]
}

/**
 * A content plugin that blocks or flags messages linking to a blocked host or any subdomain.
 *
 * @throws {TypeError} when `hosts` is not an array of hosts or `action` is invalid.
 * @throws {RangeError} when `hosts` exceeds {@link MAX_BLOCKED_HOSTS}.
 * @example linkBlocklist({ hosts: ['evil.example', 'bücher.example'], action: 'block' })
 */
export function linkBlocklist(options: LinkBlocklistOptions): ModerationPlugin {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const action = _action(options.action)
  const name = _name(options.name, 'link-blocklist')
  const hooks = _contentHooks(options.hooks)
  if (!Array.isArray(options.hosts)) throw new TypeError('"hosts" expected an array of strings')
  if (options.hosts.length > MAX_BLOCKED_HOSTS) throw new RangeError(`"hosts" expected at most ${MAX_BLOCKED_HOSTS} entries, got ${options.hosts.length}`)
  const reason = options.reason ?? 'links to a blocked site'
  if (typeof reason !== 'string' || reason.length === 0) throw new TypeError('"reason" expected a non-empty string')
  const blocked = new Set<string>()
  options.hosts.forEach((h, i) => {
    const host = typeof h === 'string' ? normalizeHost(h) : null
    if (host === null) throw new TypeError(`"hosts[${i}]" expected a host name, got ${JSON.stringify(h)}`)
    blocked.add(host)
  })

  function isBlocked(host: string): boolean {
    // The host itself, then each parent domain: a.b.evil.com → b.evil.com → evil.com → com.
    for (let h = host; h.length > 0; ) {
      if (blocked.has(h)) return true
      const dot = h.indexOf('.')
      if (dot < 0) return false
      h = h.slice(dot + 1)
    }
    return false
  }

  function check(msg: PlainMessage): Verdict {
    const hit = [msg.text, ...msg.attachments.map((a) => a.name)].some((t) => extractHosts(t).some(isBlocked))
    return hit ? { action, reason } : { action: 'allow' }
  }

  const plugin: ModerationPlugin = { name, version: MODERATION_VERSION, specificationVersion: 'v1' }
  for (const hook of hooks) plugin[hook] = check
  return plugin
}
