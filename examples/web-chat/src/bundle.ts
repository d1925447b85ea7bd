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
}

/** Entry point of the browser UI. */
export const UI_ENTRY = fileURLToPath(new URL('./ui/main.tsx', import.meta.url))

/**
 * Builds the UI bundle (about a second).
 * @throws the esbuild `BuildFailure` (with file and line) when the UI does not compile.
 */
export async function bundleUi(): Promise<UiBundle> {
  const result = await build({
    entryPoints: [UI_ENTRY],
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
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? ''
  return { js: file('.js'), css: file('.css') }
}
