/** The version stock plugins declare (matched against the manifest's `requiredPlugins`). */
export const MODERATION_VERSION = '0.1.0'
