/**
 * `@parley/moderation`: the one moderation pipeline shared by the Parley server and client,
 * stock plugins (keyword filter, link blocklist, rate limit, hash match) and report sinks
 * (signed webhook, pino log). Runs in Node and in browsers.
 *
 * @example
 * import { createPipeline, keywordFilter, verdictToError } from '@parley/moderation'
 * const pipeline = createPipeline({ plugins: [keywordFilter({ words: ['spam'], action: 'block' })] })
 *
 * @packageDocumentation
 */
export * from './pipeline.js'
export * from './version.js'
export * from './normalize.js'
export * from './plugins/keyword-filter.js'
export * from './plugins/link-blocklist.js'
export * from './plugins/rate-limit.js'
export * from './plugins/hash-match.js'
export {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  MIN_WEBHOOK_SECRET_BYTES,
  signWebhookBody,
  verifyWebhookSignature,
} from './sinks/signature.js'
export * from './sinks/webhook.js'
export * from './sinks/log.js'
