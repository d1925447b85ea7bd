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
