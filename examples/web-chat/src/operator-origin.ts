/**
 * The operator's CSRF check: a request that changes state (sign-in, sign-out, every action)
 * must come from a page of this very origin. Browsers send `Origin` on every POST, and
 * `Sec-Fetch-Site` on every request; another site can set neither. With
 * `Referrer-Policy: no-referrer` a browser sends `Origin: null` on same-origin POSTs too, so
 * then `Sec-Fetch-Site: same-origin` is what proves it. A request with neither (curl, an old
 * browser) is refused: the console is a browser page.
 */
import type { IncomingHttpHeaders } from 'node:http'

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value
}

/** True when the request comes from a page served by this host (see the file comment). */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const host = single(headers.host)
  const origin = single(headers.origin)
  const site = single(headers['sec-fetch-site'])
  // A browser that says where the request comes from is believed when it says "elsewhere".
  if (site !== undefined && site !== 'same-origin') return false
  if (origin !== undefined && origin !== 'null') {
    if (!host) return false
    // Compared as text: `Origin` is scheme://host[:port], `Host` is host[:port], both as the browser wrote them.
    return origin === `http://${host}` || origin === `https://${host}`
  }
  return site === 'same-origin'
}
