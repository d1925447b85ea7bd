/**
 * `@parley/react`: React bindings for `@parley/client` — a provider and hooks for the
 * conversation list, one conversation's mode and notices, messages with pages of history and
 * delivery ticks, typing, safety numbers and reports. SSR-safe (nothing runs during a server
 * render), tree-shakeable, typed; errors surface as hook state, typed as the client throws them.
 *
 * @example
 * import { ParleyProvider, useConversations, useMessages } from '@parley/react'
 * <ParleyProvider client={client}><Inbox /></ParleyProvider>
 *
 * @packageDocumentation
 */
export { ParleyProvider, type ParleyProviderProps } from './provider.js'
export { useParley, type UseParleyResult } from './hooks/use-parley.js'
export { useConversations, type UseConversationsResult } from './hooks/use-conversations.js'
export { useConversation, type UseConversationResult } from './hooks/use-conversation.js'
export { useMessages, type UseMessagesOptions, type UseMessagesResult } from './hooks/use-messages.js'
export { useTyping, type UseTypingResult } from './hooks/use-typing.js'
export { useSafetyNumber, type UseSafetyNumberOptions, type UseSafetyNumberResult } from './hooks/use-safety-number.js'
export { useReport, FALLBACK_REPORT_DEPTH, type UseReportOptions, type UseReportResult } from './hooks/use-report.js'
export type { ConversationRef } from './hooks/resolve.js'
export type { ConversationError, ConversationSnapshot, MessagesSnapshot } from './conversation-entry.js'
export type { ConversationSummary, ConversationsSnapshot, StatusSnapshot } from './runtime.js'
export type { Delivery, MessageView } from './message-list.js'
export type { TypingSnapshot } from './typing.js'
export type { HookError } from './errors.js'
export { MAX_STORED_NOTICES, MAX_STORED_RECEIPTS, type ReceiptState, type UiStore } from './ui-store.js'
export * from './constants.js'
