/**
 * The moderation pipeline (docs/moderation.md, "Pipeline"): the ONE implementation that the
 * server and the client both run, so a verdict is produced by the same code wherever
 * plaintext (or metadata) exists. Plugins run in order; the first `block` wins and stops the
 * run; every `flag` is collected. A hook that throws, times out or returns a malformed
 * verdict is reported through `onError` as a {@link PluginFailedError} and fails closed
 * (blocks) unless `failClosed: false`. The pipeline's methods never throw.
 */
import {
  MAX_PLUGIN_NAME_LENGTH,
  MessageBlockedError,
  PluginFailedError,
  type AttributedVerdict,
  type EnvelopeMeta,
  type FlagEvent,
  type HookContext,
  type ModerationAction,
  type ModerationPlugin,
  type PlainMessage,
  type RequiredPlugin,
  type Verdict,
  type VerifiedReport,
} from '@parley/protocol'

/** Default time a content or metadata hook may take before it counts as failed, in ms. */
export const DEFAULT_HOOK_TIMEOUT_MS = 2_000
/** Default time an `onReport` hook may take (sinks retry over the network), in ms. */
export const DEFAULT_REPORT_TIMEOUT_MS = 30_000
/** Longest `reason` a verdict may carry; a longer one is an invalid verdict. */
export const MAX_VERDICT_REASON_LENGTH = 256
/** Longest hook timeout accepted (fits a 32-bit `setTimeout`). */
export const MAX_HOOK_TIMEOUT_MS = 2_147_483_647
/** The reason a fail-closed block carries. */
export const PLUGIN_FAILED_REASON = 'plugin failed'

/** The hooks that return a verdict. */
export type VerdictHook = 'checkOutgoing' | 'checkIncoming' | 'checkEnvelope'

/**
 * What the caller passes to a check: the hook context without `hook` and `signal`, which
 * the pipeline fills in (overriding any given) for each hook run.
 */
export type PipelineContext = Omit<HookContext, 'hook' | 'signal'>

/** A `flag` verdict with the plugin that raised it (an {@link AttributedVerdict}). */
export type FlagVerdict = { action: 'flag'; reason: string; plugin: string }

/**
 * The resolved verdict of a whole pipeline run. `action` is the first `block`, else the first
 * `flag`, else `allow`; `flags` lists every flag raised before the run ended, in plugin order.
 */
export type PipelineVerdict =
  | { action: 'allow'; flags: FlagVerdict[] }
  | { action: 'block'; reason: string; plugin: string; flags: FlagVerdict[] }
  | { action: 'flag'; reason: string; plugin: string; flags: FlagVerdict[] }

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** Plugins in the order they run. Names must be unique. */
  plugins: readonly ModerationPlugin[]
  /** Per-hook timeout for content and metadata hooks, in ms. Default {@link DEFAULT_HOOK_TIMEOUT_MS}. */
  timeoutMs?: number
  /** Per-hook timeout for `onReport`, in ms. Default {@link DEFAULT_REPORT_TIMEOUT_MS}. */
  reportTimeoutMs?: number
  /** Block when a hook throws, times out or returns garbage (default `true`); else allow. */
  failClosed?: boolean
  /** Receives every plugin failure. Never receives message text. Errors it throws are ignored. */
  onError?: (error: PluginFailedError) => void
}

/** A moderation pipeline: the same object on the server and on the client. */
export interface Pipeline {
  /** The plugins, in run order. */
  readonly plugins: readonly ModerationPlugin[]
  /** Runs every `checkOutgoing` hook. Never throws. */
  checkOutgoing(msg: PlainMessage, ctx: PipelineContext): Promise<PipelineVerdict>
  /** Runs every `checkIncoming` hook. Never throws. */
  checkIncoming(msg: PlainMessage, ctx: PipelineContext): Promise<PipelineVerdict>
  /** Runs every `checkEnvelope` hook. Never throws. */
  checkEnvelope(env: EnvelopeMeta, ctx: PipelineContext): Promise<PipelineVerdict>
  /** Runs every `onReport` hook concurrently; failures go to `onError`. Never throws. */
  onReport(report: VerifiedReport, ctx: PipelineContext): Promise<void>
  /** Runs every `onModerationAction` hook concurrently (report timeout); failures go to `onError`. Never throws. */
  onModerationAction(action: ModerationAction, ctx: PipelineContext): Promise<void>
  /** The plugins with content hooks, as the manifest's `requiredPlugins`. */
  requiredPlugins(): RequiredPlugin[]
  /** The entries of `required` this pipeline does not run (matched by exact name and version). */
  missingPlugins(required: readonly RequiredPlugin[]): RequiredPlugin[]
}

type Outcome = { ok: true; verdict: Verdict } | { ok: false; why: string; cause?: unknown }

const TIMED_OUT = Symbol('timed out')

function checkOptions(options: PipelineOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  if (!Array.isArray(options.plugins)) throw new TypeError('"plugins" expected an array of ModerationPlugin')
  const seen = new Set<string>()
  options.plugins.forEach((p: unknown, i) => {
    const plugin = p as Partial<ModerationPlugin> | null
    if (plugin === null || typeof plugin !== 'object') throw new TypeError(`"plugins[${i}]" expected an object`)
    for (const key of ['name', 'version'] as const) {
      const v = plugin[key]
      if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PLUGIN_NAME_LENGTH) {
        throw new TypeError(`"plugins[${i}].${key}" expected a string of 1..${MAX_PLUGIN_NAME_LENGTH} characters`)
      }
    }
    const name = plugin.name as string
    if (seen.has(name)) throw new TypeError(`"plugins[${i}].name" duplicates "${name}"`)
    seen.add(name)
    for (const hook of ['checkOutgoing', 'checkIncoming', 'checkEnvelope', 'onReport', 'onModerationAction'] as const) {
      if (plugin[hook] !== undefined && typeof plugin[hook] !== 'function') throw new TypeError(`"plugins[${i}].${hook}" expected a function`)
    }
  })
  for (const key of ['timeoutMs', 'reportTimeoutMs'] as const) {
    const v = options[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`"${key}" expected a number, got ${typeof v}`)
    if (!(v > 0 && v <= MAX_HOOK_TIMEOUT_MS)) throw new RangeError(`"${key}" expected 0 < ms <= ${MAX_HOOK_TIMEOUT_MS}, got ${v}`)
  }
  if (options.failClosed !== undefined && typeof options.failClosed !== 'boolean') throw new TypeError('"failClosed" expected a boolean')
  if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('"onError" expected a function')
}

/** True when `v` is a well-formed verdict (the shape is checked, not trusted). */
export function isVerdict(v: unknown): v is Verdict {
  if (v === null || typeof v !== 'object') return false
  const { action, reason } = v as { action?: unknown; reason?: unknown }
  if (action === 'allow') return true
  if (action !== 'block' && action !== 'flag') return false
  return typeof reason === 'string' && reason.length > 0 && reason.length <= MAX_VERDICT_REASON_LENGTH
}

/**
 * Runs one hook with a timeout. Resolves to an outcome; never rejects. The hook's own
 * promise may settle later: its result is then ignored (its `signal` is aborted).
 */
async function runHook(
  call: (ctx: HookContext) => unknown,
  base: PipelineContext,
  hook: HookContext['hook'],
  timeoutMs: number,
): Promise<Outcome & { value?: unknown }> {
  const controller = new AbortController()
  const ctx: HookContext = { ...base, hook, signal: controller.signal }
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs)
  })
  try {
    const value = await Promise.race([Promise.resolve().then(() => call(ctx)), timeout])
    if (value === TIMED_OUT) {
      controller.abort()
      return { ok: false, why: `timed out after ${timeoutMs} ms` }
    }
    return { ok: true, verdict: value as Verdict, value }
  } catch (cause) {
    return { ok: false, why: 'threw', cause }
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

/**
 * Creates the moderation pipeline. Throws only on invalid options (at construction);
 * every check afterwards resolves and never rejects.
 *
 * @throws {TypeError} when `plugins` is not an array of plugins with unique names and
 *   versions, or an option has the wrong type.
 * @throws {RangeError} when a timeout is not in (0, {@link MAX_HOOK_TIMEOUT_MS}].
 * @example
 * const pipeline = createPipeline({ plugins: [keywordFilter({ words: ['spam'], action: 'block' })] })
 * const v = await pipeline.checkOutgoing(msg, { where: 'server', policy, mode, now: Date.now() })
 * if (v.action === 'block') throw verdictToError(v)
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  checkOptions(options)
  const plugins = Object.freeze([...options.plugins])
  const timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS
  const reportTimeoutMs = options.reportTimeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS
  const failClosed = options.failClosed ?? true
  const onError = options.onError

  function report(plugin: string, hook: HookContext['hook'], why: string, cause?: unknown): void {
    if (onError === undefined) return
    const error = new PluginFailedError(`moderation plugin "${plugin}" failed in ${hook}: ${why}`, { plugin, hook }, { cause })
    try {
      onError(error)
    } catch {
      // An error handler that throws must not turn into a crash or a different verdict.
    }
  }

  async function run<T>(hook: VerdictHook, input: T, ctx: PipelineContext): Promise<PipelineVerdict> {
    const flags: FlagVerdict[] = []
    for (const plugin of plugins) {
      const fn = plugin[hook] as ((input: T, ctx: HookContext) => unknown) | undefined
      if (fn === undefined) continue
      const outcome = await runHook((c) => fn.call(plugin, input, c), ctx, hook, timeoutMs)
      let verdict: Verdict
      if (!outcome.ok) {
        report(plugin.name, hook, outcome.why, outcome.cause)
        if (!failClosed) continue
        verdict = { action: 'block', reason: PLUGIN_FAILED_REASON }
      } else if (!isVerdict(outcome.verdict)) {
        report(plugin.name, hook, 'returned an invalid verdict')
        if (!failClosed) continue
        verdict = { action: 'block', reason: PLUGIN_FAILED_REASON }
      } else {
        verdict = outcome.verdict
      }
      // Copy only the known fields: plugins cannot smuggle extra data into verdicts.
      if (verdict.action === 'block') return { action: 'block', reason: verdict.reason, plugin: plugin.name, flags }
      if (verdict.action === 'flag') flags.push({ action: 'flag', reason: verdict.reason, plugin: plugin.name })
    }
    const first = flags[0]
    return first === undefined ? { action: 'allow', flags } : { action: 'flag', reason: first.reason, plugin: first.plugin, flags }
  }

  /** Runs a notification hook (no verdict) of every plugin concurrently; never rejects. */
  async function notifyAll<T>(hook: 'onReport' | 'onModerationAction', input: T, ctx: PipelineContext): Promise<void> {
    await Promise.all(
      plugins.map(async (plugin) => {
        const fn = plugin[hook] as ((input: T, ctx: HookContext) => unknown) | undefined
        if (fn === undefined) return
        try {
          const outcome = await runHook((c) => fn.call(plugin, input, c), ctx, hook, reportTimeoutMs)
          if (!outcome.ok) report(plugin.name, hook, outcome.why, outcome.cause)
        } catch (cause) {
          report(plugin.name, hook, 'threw', cause)
        }
      }),
    )
  }

  async function safeRun<T>(hook: VerdictHook, input: T, ctx: PipelineContext): Promise<PipelineVerdict> {
    try {
      return await run(hook, input, ctx)
    } catch (cause) {
      // Unreachable by design (every hook call is guarded); kept so the promise never rejects.
      report('pipeline', hook, 'internal failure', cause)
      return failClosed ? { action: 'block', reason: PLUGIN_FAILED_REASON, plugin: 'pipeline', flags: [] } : { action: 'allow', flags: [] }
    }
  }

  return {
    plugins,
    checkOutgoing: (msg, ctx) => safeRun('checkOutgoing', msg, ctx),
    checkIncoming: (msg, ctx) => safeRun('checkIncoming', msg, ctx),
    checkEnvelope: (env, ctx) => safeRun('checkEnvelope', env, ctx),
    onReport: (verified, ctx) => notifyAll('onReport', verified, ctx),
    onModerationAction: (action, ctx) => notifyAll('onModerationAction', action, ctx),
    requiredPlugins() {
      return plugins
        .filter((p) => p.checkOutgoing !== undefined || p.checkIncoming !== undefined)
        .map((p) => ({ name: p.name, version: p.version }))
    },
    missingPlugins(required) {
      if (!Array.isArray(required)) return []
      return required.filter((r) => !plugins.some((p) => p.name === r.name && p.version === r.version)).map((r) => ({ name: r.name, version: r.version }))
    },
  }
}

/**
 * The error a `block` verdict becomes at the sender: {@link MessageBlockedError} with the
 * plugin and reason, the same code in every mode. Returns `null` for `allow` and `flag`.
 *
 * @example
 * const err = verdictToError(await pipeline.checkOutgoing(msg, ctx))
 * if (err) throw err
 */
export function verdictToError(v: PipelineVerdict | AttributedVerdict): MessageBlockedError | null {
  if (v.action !== 'block') return null
  return new MessageBlockedError(`message blocked by ${v.plugin}: ${v.reason}`, { plugin: v.plugin, reason: v.reason })
}

/** Where a flag was raised, to build {@link FlagEvent}s. */
export interface FlagSource {
  hook: VerdictHook
  where: 'server' | 'client'
  conversationId: string
  sender: FlagEvent['sender']
  messageId?: string
}

/**
 * The `onFlag` payloads for a pipeline verdict: one per flag, the same shape in every mode.
 *
 * @example
 * for (const e of flagEvents(v, { hook: 'checkOutgoing', where: 'server', conversationId, sender })) onFlag(e)
 */
export function flagEvents(v: PipelineVerdict, source: FlagSource): FlagEvent[] {
  return v.flags.map((f) => {
    const event: FlagEvent = {
      plugin: f.plugin,
      reason: f.reason,
      hook: source.hook,
      where: source.where,
      conversationId: source.conversationId,
      sender: { userId: source.sender.userId, deviceId: source.sender.deviceId },
    }
    if (source.messageId !== undefined) event.messageId = source.messageId
    return event
  })
}
