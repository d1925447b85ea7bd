/**
 * A throwaway app project in the OS temp folder that depends on the packed tarballs only, with
 * two consumers side by side: `esm/` ("type": "module") and `cjs/` ("type": "commonjs"), each
 * type-checked with `strict` and `skipLibCheck: false` under NodeNext resolution, as an app that
 * checks its dependencies' declarations would.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EntryPoint } from './packages.js'
import { repoRoot } from './packages.js'

export type ModuleKind = 'esm' | 'cjs'

/** The consumer's compiler and Node types, at the versions this repository pins. */
function toolPins(): Record<string, string> {
  const dev = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).devDependencies
  return { typescript: dev.typescript, '@types/node': dev['@types/node'] }
}

function tsconfig(): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      rootDir: '.',
      outDir: 'dist',
    },
    include: ['*.ts'],
  }, null, 2)
}

/**
 * A module that imports every entry point, checks each one resolved to the build for its module
 * kind (`.js` for import, `.cjs` for require) and exports something, and prints what it loaded.
 */
function entriesModule(entries: EntryPoint[], kind: ModuleKind): string {
  const imports = entries.map((e, i) => `import * as m${i} from '${e.specifier}'`)
  const table = entries.map((e, i) => `  ['${e.specifier}', m${i}],`)
  const resolveFn = kind === 'esm' ? '(s: string) => import.meta.resolve(s)' : '(s: string) => require.resolve(s)'
  const ext = kind === 'esm' ? '.js' : '.cjs'
  return [
    ...imports,
    '',
    `const loaded: Array<[string, object]> = [\n${table.join('\n')}\n]`,
    `const resolveEntry = ${resolveFn}`,
    'for (const [specifier, mod] of loaded) {',
    `  const file = resolveEntry(specifier)`,
    `  if (!file.endsWith('${ext}')) throw new Error(\`\${specifier} resolved to \${file}, expected a ${ext} build\`)`,
    `  const names = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule')`,
    `  if (names.length === 0) throw new Error(\`\${specifier} exports nothing\`)`,
    `  console.log(\`${kind}: \${specifier} → \${names.length} exports\`)`,
    '}',
    '',
  ].join('\n')
}

/** The app's package.json: `file:` dependencies on every tarball, plus typescript and @types/node. */
export function writeManifest(dir: string, tarballs: Record<string, string>): void {
  const dependencies: Record<string, string> = { ...toolPins() }
  for (const [name, tgz] of Object.entries(tarballs)) dependencies[name] = `file:${tgz}`
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'parley-consumer', private: true, type: 'module', dependencies }, null, 2))
}

/** One consumer folder (`esm/` or `cjs/`): its module type, tsconfig, the entries module and `code` files. */
export function writeConsumer(dir: string, kind: ModuleKind, entries: EntryPoint[], code: Record<string, string>): string {
  const sub = join(dir, kind)
  mkdirSync(sub, { recursive: true })
  writeFileSync(join(sub, 'package.json'), JSON.stringify({ type: kind === 'esm' ? 'module' : 'commonjs' }))
  writeFileSync(join(sub, 'tsconfig.json'), tsconfig())
  writeFileSync(join(sub, 'entries.ts'), entriesModule(entries, kind))
  for (const [file, text] of Object.entries(code)) writeFileSync(join(sub, file), text)
  return sub
}

/**
 * Where each `@parley/*` package in the scratch lockfile came from. Every one must be a `file:`
 * tarball (never a registry download) and appear once (no nested second copy).
 */
export function parleyResolutions(dir: string): Array<{ path: string; resolved: string | undefined }> {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
  return Object.entries(lock.packages as Record<string, { resolved?: string }>)
    .filter(([path]) => /(^|\/)node_modules\/@parley\/[^/]+$/.test(path))
    .map(([path, entry]) => ({ path, resolved: entry.resolved }))
}
