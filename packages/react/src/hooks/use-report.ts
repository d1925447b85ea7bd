/** `useReport(ref)`: what a report would carry, and sending it. */
import { useCallback, useEffect, useState } from 'react'
import type { Message, ReportOptions } from '@parley/client'
import { ConnectionError, type ReportResult } from '@parley/protocol'
import { useRuntime } from '../context.js'
import { asHookError, type HookError } from '../errors.js'
import type { ConversationActivity } from '../conversation-entry.js'
import { useEntry, type ConversationRef } from './resolve.js'
import { useStore } from './use-store.js'

/** Report depth when the manifest is not known yet (the server's default). */
export const FALLBACK_REPORT_DEPTH = 5

const NO_ACTIVITY: ConversationActivity = { lastMessage: null, lastActivity: 0 }

/** Options of {@link useReport}. */
export interface UseReportOptions {
  /** Load the preview (default true); pass false until the user opens the report screen. */
  enabled?: boolean
}

/** What {@link useReport} returns. */
export interface UseReportResult {
  /**
   * The last messages this device saw (the manifest's `reportDepth`), oldest first: what
   * `submit()` sends. Each carries the mode it travelled in (`message.encryption`), so a UI
   * can say which ones the server never saw. It follows the conversation: a message that
   * arrives while the report screen is open is shown, as `submit()` would send it.
   */
  preview: readonly Message[]
  loading: boolean
  submitting: boolean
  result: ReportResult | null
  error: HookError | null
  /**
   * Sends the report (the server verifies each message's franking).
   * @throws the typed error (also set as `error`).
   */
  submit(reason: string, options?: Omit<ReportOptions, 'reason'>): Promise<ReportResult>
  /** Reloads the preview and clears the result and error. */
  reset(): void
}

/**
 * Reporting a conversation.
 * @example
 * const { preview, submit, result } = useReport(conversationId)
 */
export function useReport(ref: ConversationRef, options: UseReportOptions = {}): UseReportResult {
  const runtime = useRuntime('useReport')
  const entry = useEntry(runtime, ref)
  const enabled = options.enabled ?? true
  const [preview, setPreview] = useState<readonly Message[]>([])
  const [loading, setLoading] = useState(false)
  const [submitting, setSubmitting] = useState(false)
  const [result, setResult] = useState<ReportResult | null>(null)
  // Loading the preview and sending the report fail separately: a reload after a new message
  // clears its own failure, never a failed submit's.
  const [loadError, setLoadError] = useState<HookError | null>(null)
  const [submitError, setSubmitError] = useState<HookError | null>(null)
  const [generation, setGeneration] = useState(0)
  // A message stored after the preview loaded (a request opened before its first message was
  // decrypted, say) would otherwise be sent by submit() without ever being shown.
  const lastSeen = useStore(entry?.activity, NO_ACTIVITY).lastMessage
  const lastSeenKey = lastSeen ? `${lastSeen.id}:${lastSeen.seq ?? ''}` : ''
  useEffect(() => {
    if (!entry || !enabled) return
    let live = true
    const depth = runtime?.client.manifest?.reportDepth ?? FALLBACK_REPORT_DEPTH
    setLoading(true)
    entry.conversation.history({ limit: depth }).then(
      (page) => {
        if (!live) return
        setPreview(page.messages.filter((m) => m.status !== 'pending'))
        setLoadError(null)
        setLoading(false)
      },
      (e) => {
        if (!live) return
        setLoadError(asHookError(e))
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [entry, enabled, generation, runtime, lastSeenKey])
  const submit = useCallback(async (reason: string, opts: Omit<ReportOptions, 'reason'> = {}) => {
    if (!entry) throw new ConnectionError('no conversation yet')
    setSubmitting(true)
    setSubmitError(null)
    try {
      const r = await entry.conversation.report({ ...opts, reason })
      setResult(r)
      return r
    } catch (e) {
      const err = asHookError(e)
      setSubmitError(err)
      throw err
    } finally {
      setSubmitting(false)
    }
  }, [entry])
  const reset = useCallback(() => {
    setResult(null)
    setLoadError(null)
    setSubmitError(null)
    setGeneration((g) => g + 1)
  }, [])
  return { preview, loading, submitting, result, error: submitError ?? loadError, submit, reset }
}
