/**
 * `npm start`: starts the web chat and prints the URL to open.
 *
 *   npm start                                  # optional-e2ee on http://localhost:3000
 *   npm start -- --policy default-e2ee         # or PARLEY_POLICY=default-e2ee npm start
 *   PORT=0 npm start                           # any free port
 *   PARLEY_OPERATOR_TOKEN=… npm start           # choose the operator page's token
 *
 * Stops cleanly on SIGINT / SIGTERM (the PGlite store is closed, so no data is lost).
 */
import { CommanderError } from 'commander'
import { parseOptions, type WebChatOptions } from './options.js'
import { startWebChat } from './app.js'

let options: WebChatOptions
try {
  options = parseOptions(process.argv, process.env)
} catch (e) {
  // commander has already printed its own usage errors and the help text; ours it has not.
  if (e instanceof CommanderError && e.code.startsWith('web-chat.')) console.error(`web-chat: ${e.message}`)
  process.exit(e instanceof CommanderError ? e.exitCode : 1)
}
const log = (line: string) => console.log(`[web-chat] ${line}`)

let chat: Awaited<ReturnType<typeof startWebChat>>
try {
  chat = await startWebChat(options, log)
} catch (e) {
  console.error(`web-chat failed to start: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
}

console.log(`Parley web chat (${options.policy}) listening on ${chat.url}`)
console.log(`  open it in two tabs and sign in as two users (e.g. alice and bob); operator page: ${chat.url}/operator`)
console.log(chat.operatorTokenGenerated
  ? `  operator token (new each start; set PARLEY_OPERATOR_TOKEN to choose one): ${chat.operatorToken}`
  : '  operator token: the one in PARLEY_OPERATOR_TOKEN')

let stopping = false
async function stop(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log(`${signal}: shutting down`)
  const force = setTimeout(() => {
    console.error('web-chat: shutdown timed out')
    process.exit(1)
  }, 15_000)
  force.unref()
  try {
    await chat.close()
    process.exit(0)
  } catch (e) {
    console.error(`web-chat: shutdown failed: ${String(e)}`)
    process.exit(1)
  }
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
