/**
 * Start-up options of the web chat: `--policy` (or `PARLEY_POLICY`), `--port` (or `PORT`,
 * 0 = any free port), `--data-dir` (or `PARLEY_DATA_DIR`). Flags win over the environment.
 *
 * The policy may also be given as a bare argument (`server.ts default-e2ee`): through the
 * root's `npm start -- --policy default-e2ee`, npm keeps `--policy` for itself (as the config
 * `npm_config_policy`) and forwards only the value, so both of those are accepted too.
 */
import { fileURLToPath } from 'node:url'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { isPolicy, POLICIES, type Policy } from '@parley/protocol'
import { MIN_OPERATOR_TOKEN_LENGTH } from './operator-auth.js'

/** Port when neither `--port` nor `PORT` is given. */
export const DEFAULT_PORT = 3000
/** Policy when neither `--policy` nor `PARLEY_POLICY` is given. */
export const DEFAULT_POLICY: Policy = 'optional-e2ee'
/** Data directory when neither `--data-dir` nor `PARLEY_DATA_DIR` is given (gitignored). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.parley-data', import.meta.url))

/** What the web chat starts with. */
export interface WebChatOptions {
  policy: Policy
  port: number
  /** Host to bind; loopback by default (this is a demo with name-only sign-in). */
  host: string
  dataDir: string
  /** The operator page's token from `PARLEY_OPERATOR_TOKEN`; generated at start when absent. */
  operatorToken?: string
}

function parsePolicy(value: string): Policy {
  if (!isPolicy(value)) throw new InvalidArgumentError(`expected one of ${POLICIES.join(', ')}`)
  return value
}

function parsePort(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected an integer from 0 to 65535')
  return n
}

/**
 * Parses `argv` (as `process.argv`) and `env`.
 * @throws {CommanderError} when an argument is invalid, or after printing `--help` (its
 *   `exitCode` is what the process should exit with).
 */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): WebChatOptions {
  const program = new Command('web-chat')
    .description('Parley web chat demo: the server package plus a browser UI on one port')
    .addOption(new Option('--policy <policy>', `encryption policy (${POLICIES.join(' | ')})`).argParser(parsePolicy).env('PARLEY_POLICY'))
    .addOption(new Option('--port <port>', 'port to listen on, 0 = any free port').argParser(parsePort).env('PORT'))
    .addOption(new Option('--host <host>', 'address to bind').env('HOST'))
    .addOption(new Option('--data-dir <dir>', 'PGlite data directory').env('PARLEY_DATA_DIR'))
    .argument('[policy]', 'the policy, as a bare argument', parsePolicy)
    .allowExcessArguments(false)
    .exitOverride()
  // commander reads `process.env` for `.env()`; hand it ours so tests can inject one.
  const saved = process.env
  process.env = env
  try {
    program.parse([...argv])
  } finally {
    process.env = saved
  }
  const o = program.opts<{ policy?: Policy; port?: number; host?: string; dataDir?: string }>()
  const bare = program.processedArgs[0] as Policy | undefined
  const flagGiven = o.policy !== undefined && program.getOptionValueSource('policy') === 'cli'
  const npmConfig = isPolicy(env.npm_config_policy) ? env.npm_config_policy : undefined
  const operatorToken = env.PARLEY_OPERATOR_TOKEN
  if (operatorToken !== undefined && operatorToken.length < MIN_OPERATOR_TOKEN_LENGTH) {
    throw new CommanderError(1, 'web-chat.operatorToken', `PARLEY_OPERATOR_TOKEN must be at least ${MIN_OPERATOR_TOKEN_LENGTH} characters`)
  }
  return {
    policy: (flagGiven ? o.policy : bare ?? o.policy ?? npmConfig) ?? DEFAULT_POLICY,
    port: o.port ?? DEFAULT_PORT,
    host: o.host ?? '127.0.0.1',
    dataDir: o.dataDir ?? DEFAULT_DATA_DIR,
    ...(operatorToken !== undefined ? { operatorToken } : {}),
  }
}
