/**
 * The one tsup configuration every published package builds with: ESM + CJS + `.d.ts`,
 * source maps, Node 20 syntax. `platform: 'neutral'` keeps Node built-ins out of packages
 * that browsers load.
 */
import { defineConfig, type Options } from 'tsup'

export function parleyTsupConfig(overrides: Partial<Options> = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'neutral',
    ...overrides,
  })
}
