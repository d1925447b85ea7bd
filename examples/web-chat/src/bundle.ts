/**
 * Bundles the React browser UI (`src/ui/main.tsx` and its CSS) with esbuild at start-up, into
 * memory: `npm start` needs no separate build step. Workspace packages resolve to their
 * TypeScript sources through the `@parley/source` condition, exactly as in tests.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The bundled UI. */
export interface UiBundle {
  js: string
  css: string
  /** The operator console (`src/console/`), served only to a signed-in operator. */
  consoleJs: string
  consoleCss: string
}

/** Entry point of the browser UI. */
export const UI_ENTRY = fileURLToPath(new URL('./ui/main.tsx', import.meta.url))
/** Entry point of the operator console. */
export const CONSOLE_ENTRY = fileURLToPath(new URL('./console/main.tsx', import.meta.url))

/**
 * Builds the UI and console bundles (about a second).
 * @throws the esbuild `BuildFailure` (with file and line) when the UI does not compile.
 */
export async function bundleUi(): Promise<UiBundle> {
  const result = await build({
    entryPoints: { app: UI_ENTRY, console: CONSOLE_ENTRY },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: 'bundle',
    write: false,
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'react',
    conditions: ['@parley/source', 'browser', 'module', 'import'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  const file = (name: string) => result.outputFiles.find((f) => f.path.endsWith(`/${name}`))?.text ?? ''
  return { js: file('app.js'), css: file('app.css'), consoleJs: file('console.js'), consoleCss: file('console.css') }
}
