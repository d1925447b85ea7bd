/**
 * Shared vitest settings: every workspace package resolves to its `src/` through the
 * `@parley/source` export condition, so tests never need a build first.
 * Vitest 4 runs node tests in Vite's SSR environment, hence `ssr.resolve.conditions`.
 */
import { defineConfig, type ViteUserConfig } from 'vitest/config'
import { UnhandledErrorsReporter } from './vitest.unhandled-reporter'

export const sourceConditions = ['@parley/source', 'module', 'node', 'development|production']

export function parleyVitestConfig(extra: ViteUserConfig['test'] = {}) {
  return defineConfig({
    ssr: { resolve: { conditions: sourceConditions } },
    resolve: { conditions: sourceConditions },
    test: {
      include: ['test/**/*.test.ts'],
      passWithNoTests: true,
      testTimeout: 30_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json', new UnhandledErrorsReporter()],
      outputFile: { json: '.vitest-report.json' },
      ...extra,
    },
  })
}
