/** Builds the policy manifest the server sends at connect. */
import { DEFAULT_REPORT_DEPTH, PROTOCOL_LIMITS } from './limits.js'
import { MODE_CAPABILITIES, type Policy } from './policy.js'
import { PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './version.js'
import type { PolicyManifest, RequiredPlugin } from './frames/session.js'

export interface ManifestOptions {
  policy: Policy
  reportDepth?: number
  requiredPlugins?: RequiredPlugin[]
}

/** The manifest for a policy, with the protocol's limits and the mode capabilities table. */
export function buildManifest(options: ManifestOptions): PolicyManifest {
  return {
    protocolVersion: PROTOCOL_VERSION,
    supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
    policy: options.policy,
    limits: { ...PROTOCOL_LIMITS },
    reportDepth: options.reportDepth ?? DEFAULT_REPORT_DEPTH,
    requiredPlugins: options.requiredPlugins ?? [],
    capabilities: { 'server-side': { ...MODE_CAPABILITIES['server-side'] }, e2ee: { ...MODE_CAPABILITIES.e2ee } },
  }
}
