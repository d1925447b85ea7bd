// @vitest-environment node
/**
 * Server rendering: the package imports and renders with no `window` or `document`, and a
 * provider with a live client renders the empty server snapshot (nothing connects, loads or
 * reads storage during a server render), so hydration matches.
 */
import { renderToString } from 'react-dom/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParleyClient } from '@parley/client'
import { ParleyProvider, useConversations, useMessages, useParley, useReport, useSafetyNumber, useTyping } from '../src/index.js'
import { connect, startServer, type TestServer } from './helpers.js'

function Screen() {
  const { connected, userId } = useParley()
  const { conversations } = useConversations()
  const { messages } = useMessages('c_unknown')
  const { typing } = useTyping('c_unknown')
  const { safetyNumber } = useSafetyNumber('c_unknown')
  const { preview } = useReport('c_unknown')
  return (
    <p>
      {String(connected)}|{userId ?? 'nobody'}|{conversations.length}|{messages.length}|{typing.length}|{safetyNumber ? 'n' : '-'}|{preview.length}
    </p>
  )
}

describe('server rendering', () => {
  let server: TestServer
  let client: ParleyClient
  beforeAll(async () => {
    server = await startServer('optional-e2ee')
    const dave = await connect(server.url, 'dave')
    await dave.close()
    client = await connect(server.url, 'carol')
    await client.conversations.open('dave')
  })
  afterAll(async () => {
    await client?.close()
    await server?.close()
  })

  it('has no DOM here', () => {
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')
  })

  it('renders the empty state without a client', () => {
    expect(renderToString(<ParleyProvider client={null}><Screen /></ParleyProvider>)).toBe('<p>false<!-- -->|<!-- -->nobody<!-- -->|<!-- -->0<!-- -->|<!-- -->0<!-- -->|<!-- -->0<!-- -->|<!-- -->-<!-- -->|<!-- -->0</p>')
  })

  it('renders the server snapshot with a connected client: no live state leaks into the HTML', () => {
    expect(client.connected).toBe(true)
    const html = renderToString(<ParleyProvider client={client}><Screen /></ParleyProvider>)
    expect(html).toContain('false<!-- -->|<!-- -->carol<!-- -->|<!-- -->0')
  })
})
