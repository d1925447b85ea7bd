/**
 * Parley in a terminal: a Node client with a file key store. Two terminals chat:
 *
 *   npm start -w @parley/example-web-chat            # a server (any Parley server with demo auth)
 *   npx tsx --conditions=@parley/source examples/cli-chat/src/index.ts --user alice --peer bob
 *   npx tsx --conditions=@parley/source examples/cli-chat/src/index.ts --user bob --peer alice
 *
 * Type a line to send it. Commands: /upgrade, /safety, /report <reason>, /mode, /help, /quit.
 * Output is one line per event, so scripts (and the tests) can read it.
 */
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Command, InvalidArgumentError } from 'commander'
import { createParleyClient, noticeText, type Conversation, type Message, type ParleyClient } from '@parley/client'
import { fileKeyStore } from '@parley/client/node'
import { MessageBlockedError, NotFoundError, ParleyError, type EncryptionMode } from '@parley/protocol'
import { demoPlugins } from './moderation.js'

/** How often to retry opening the conversation while the peer has never signed in, ms. */
export const PEER_RETRY_MS = 1_000
/** Messages of history printed at start. */
export const HISTORY_ON_START = 20

const USER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/

function userName(value: string): string {
  if (!USER_PATTERN.test(value)) throw new InvalidArgumentError('expected 1-32 lowercase letters, digits, _ or -')
  return value
}

const MODE_TEXT: Record<EncryptionMode, string> = {
  e2ee: 'end-to-end encrypted (only you and the peer can read it)',
  'server-side': 'server-side (the server can read it)',
}

function describe(e: unknown): string {
  if (MessageBlockedError.isInstance(e)) return `not sent: ${e.details.reason} (${e.details.plugin})`
  if (ParleyError.isInstance(e)) return `${e.code}: ${e.message}`
  return e instanceof Error ? e.message : String(e)
}

function clock(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19)
}

function printMessage(m: Message): void {
  const lock = m.encryption === 'e2ee' ? ' [e2ee]' : ''
  console.log(`[${clock(m.ts)}]${lock} ${m.outgoing ? 'you' : m.sender.userId}: ${m.text}`)
}

async function openWhenPeerExists(client: ParleyClient, peer: string): Promise<Conversation> {
  let waiting = false
  for (;;) {
    try {
      return await client.conversations.open(peer)
    } catch (e) {
      if (!NotFoundError.isInstance(e)) throw e
      if (!waiting) console.log(`* waiting for ${peer} to sign in for the first time…`)
      waiting = true
      await new Promise((r) => setTimeout(r, PEER_RETRY_MS))
    }
  }
}

async function main(): Promise<void> {
  const opts = new Command('cli-chat')
    .description('Parley terminal chat (demo auth: the token is the user name)')
    .option('--url <url>', 'Parley server URL', 'http://localhost:3000')
    .requiredOption('--user <name>', 'who you are', userName)
    .requiredOption('--peer <name>', 'who to chat with', userName)
    .option('--data <dir>', 'directory for key files (one per user)', '.parley-cli')
    .allowExcessArguments(false)
    .parse()
    .opts<{ url: string; user: string; peer: string; data: string }>()
  if (opts.user === opts.peer) throw new InvalidArgumentError('--peer must differ from --user')

  const client = await createParleyClient({
    url: opts.url,
    token: opts.user,
    userId: opts.user,
    keyStore: fileKeyStore({ path: join(opts.data, `${opts.user}.json`) }),
    plugins: demoPlugins(),
  })
  let closing = false
  client.on('disconnect', ({ reason }) => !closing && console.log(`* disconnected (${reason}); reconnecting…`))
  // Notices are codes; the words are the client's own catalogue (`noticeText`), never the server's.
  client.on('notice', (n) => !n.conversationId && console.log(`* notice: ${noticeText(n)}`))
  // After a reconnect, refresh conversation state from the server (a restart under a new
  // policy may require an upgrade before the next send; the client does not refresh it itself).
  // (Only on reconnects: a list() racing the first open() can leave two objects for one
  // conversation in the client — see the report.)
  let connectedOnce = false
  client.on('ready', () => {
    if (connectedOnce) void client.conversations.list().catch(() => {})
  })
  await client.whenReady()
  console.log(`* connected as ${client.userId} (device ${client.deviceId}, policy ${client.manifest?.policy})`)

  const convo = await openWhenPeerExists(client, opts.peer)
  console.log(`* conversation with ${opts.peer}: ${MODE_TEXT[convo.encryption]}`)
  const history = await convo.history({ limit: HISTORY_ON_START })
  for (const m of history.messages) printMessage(m)

  convo.on('message', (m) => {
    if (m.outgoing && m.status !== 'sent') return
    if (m.outgoing) return console.log(`* sent #${m.seq}`)
    printMessage(m)
    void convo.markRead().catch(() => {})
  })
  convo.on('receipt', (r) => r.from.userId !== client.userId && console.log(`* ${r.status} by ${r.from.userId}: ${r.messageIds.length} message(s)`))
  convo.on('typing', (t) => t.typing && t.from.userId !== client.userId && console.log(`* ${t.from.userId} is typing…`))
  let shownMode = convo.encryption
  convo.on('mode', (m) => {
    if (m.encryption === shownMode) return
    shownMode = m.encryption
    console.log(`* mode: ${MODE_TEXT[m.encryption]}`)
  })
  convo.on('notice', (n) => console.log(`* notice: ${noticeText(n, { encryption: convo.encryption })}`))
  convo.on('error', (p) => console.log(`! ${describe(p.error)}`))
  void convo.markRead().catch(() => {})
  connectedOnce = true
  console.log('* ready: type a message, or /help')

  const quit = async (code = 0) => {
    if (closing) return
    closing = true
    await client.close().catch(() => {})
    console.log('* bye')
    process.exit(code)
  }

  const commands: Record<string, (arg: string) => Promise<void>> = {
    async help() {
      console.log('* commands: /upgrade  /safety  /report <reason>  /mode  /quit')
    },
    async mode() {
      console.log(`* mode: ${MODE_TEXT[convo.encryption]}`)
    },
    async upgrade() {
      await convo.upgradeToE2EE()
      console.log(`* upgraded: ${MODE_TEXT[convo.encryption]}`)
    },
    async safety() {
      const n = await convo.safetyNumber()
      console.log(`* safety number with ${opts.peer}: ${n.digits.match(/.{5}/g)!.join(' ')}`)
      console.log('* compare it with their screen; if it matches, no one is in the middle')
    },
    async report(reason) {
      if (!reason) return console.log('! usage: /report <reason>')
      const r = await convo.report({ reason })
      console.log(`* report sent: ${r.verifiedEntries}/${r.totalEntries} messages verified by the server${r.duplicate ? ' (duplicate)' : ''}`)
    },
    async quit() {
      await quit(0)
    },
  }

  // Lines are handled one at a time, in order (a send finishes before the next command).
  let queue = Promise.resolve()
  const rl = createInterface({ input: process.stdin, terminal: false })
  rl.on('line', (raw) => {
    const line = raw.trim()
    if (!line) return
    queue = queue.then(async () => {
      try {
        if (line.startsWith('/')) {
          const [name, ...rest] = line.slice(1).split(' ')
          const run = commands[name!]
          if (!run) return console.log(`! unknown command /${name} (try /help)`)
          await run(rest.join(' ').trim())
        } else {
          await convo.send({ text: line })
        }
      } catch (e) {
        console.log(`! ${describe(e)}`)
      }
    })
  })
  rl.on('close', () => void queue.then(() => quit(0)))
  process.on('SIGINT', () => void quit(0))
  process.on('SIGTERM', () => void quit(0))
}

main().catch((e) => {
  console.error(`cli-chat: ${describe(e)}`)
  process.exit(1)
})
