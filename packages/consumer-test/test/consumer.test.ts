/**
 * The integrator's path, end to end, from packed tarballs: build and `npm pack` every publishable
 * package, run its publint/attw check, dry-run its publish, install the tarballs into a scratch project in the OS temp folder,
 * type-check it as an ESM and as a CJS app (strict, skipLibCheck false), load every entry point
 * both ways, and run the getting-started server and two clients (ESM, then CJS): a message
 * must arrive. Steps share state and run in order; a step whose prerequisite failed fails too.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { asCommonJs, gettingStartedCode, guideInstallNames } from './lib/getting-started.js'
import { publishablePackages, repoRoot } from './lib/packages.js'
import { consumerEnv, progress, run, startServer, stop, type Server } from './lib/processes.js'
import { parleyResolutions, writeConsumer, writeManifest, type ModuleKind } from './lib/scratch-project.js'

const BUILD_TIMEOUT_MS = 300_000
const INSTALL_TIMEOUT_MS = 600_000
const TSC_TIMEOUT_MS = 180_000
const SERVER_READY_MS = 60_000
const CLIENTS_TIMEOUT_MS = 120_000
/** The guide's SIGTERM handler closes Parley; the process must then end on its own. */
const SHUTDOWN_GRACE_MS = 15_000
/** Each step's own timeout fires first, so a slow step fails with the command's output. */
const MARGIN_MS = 30_000

const packages = publishablePackages()
const work = mkdtempSync(join(tmpdir(), 'parley-consumer-'))
const tarballDir = join(work, 'tarballs')
const project = join(work, 'app')
mkdirSync(tarballDir)
mkdirSync(project)
const tarballs: Record<string, string> = {}
const packedFiles: Record<string, string[]> = {}
let built = false
let installed = false
const compiled: Record<ModuleKind, boolean> = { esm: false, cjs: false }
/** The free port each consumer's copy of the guide's code was compiled with. */
const portOf: Record<ModuleKind, number> = { esm: 0, cjs: 0 }
let server: Server | undefined

afterAll(async () => {
  if (server) await stop(server.child, 'SIGKILL', 5_000)
  if (process.env.PARLEY_KEEP_CONSUMER) progress(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
})

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number }
    s.close(() => resolve(port))
  }).on('error', reject)
})

const tsc = () => join(project, 'node_modules/typescript/bin/tsc')

describe(`consumer of the packed packages (node ${process.version}, scratch ${tmpdir()})`, () => {
  it('finds the publishable packages, including every one the guide installs', () => {
    progress(`publishable: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`)
    expect(packages.length).toBeGreaterThan(0)
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(guideInstallNames()))
  })

  it('builds every publishable package', async () => {
    // Through turbo, which builds each package's dependencies first and, on a second run of the
    // suite (another Node version), restores the identical dist/ from its cache.
    progress(`turbo run build for ${packages.length} packages`)
    const out = await run(join(repoRoot, 'node_modules/.bin/turbo'), [
      'run', 'build', '--concurrency=2', '--env-mode=loose', '--output-logs=errors-only', ...packages.map((p) => `--filter=${p.name}`),
    ], { cwd: repoRoot, timeoutMs: BUILD_TIMEOUT_MS })
    progress(`built (${out.stdout.match(/Cached:\s+(\d+ cached, \d+ total)/)?.[1] ?? 'turbo printed no cache line'})`)
    built = true
  }, BUILD_TIMEOUT_MS + MARGIN_MS)

  for (const pkg of packages) {
    it(`packs ${pkg.name}; the tarball holds every file its exports name`, async () => {
      expect(built, 'the build step failed').toBe(true)
      const out = await run('npm', ['pack', '--json', '--pack-destination', tarballDir], { cwd: pkg.dir, timeoutMs: BUILD_TIMEOUT_MS })
      const [packed] = JSON.parse(out.stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>
      const files = packed!.files.map((f) => f.path)
      progress(`${pkg.name}: ${packed!.filename}, ${(packed!.size / 1024).toFixed(1)} KB, ${files.length} files`)
      const promised = pkg.entries.flatMap((e) => e.files)
      expect(promised.filter((f) => !files.includes(f)), 'files named by exports but missing from the tarball').toEqual([])
      tarballs[pkg.name] = join(tarballDir, packed!.filename)
      packedFiles[pkg.name] = files
    }, BUILD_TIMEOUT_MS + MARGIN_MS)
  }

  for (const pkg of packages) {
    it(`${pkg.name} passes publint --strict and attw (node16, ESM and CJS) and loads both ways`, async () => {
      expect(packedFiles[pkg.name], 'the pack step failed').toBeDefined()
      expect(pkg.lintScript, `${pkg.name} has no lint:pkg script`).toBeDefined()
      // The package's own lint:pkg: publint --strict, attw --pack, then scripts/check-dist.mjs.
      // run() rejects with the command's output when it exits non-zero.
      const out = await run('npm', ['run', '--silent', 'lint:pkg'], { cwd: pkg.dir, timeoutMs: BUILD_TIMEOUT_MS })
      expect(out.stdout).toMatch(/ESM import and CJS require both load \d+ exports/)
      progress(`${pkg.name}: publint + attw ok`)
    }, BUILD_TIMEOUT_MS + MARGIN_MS)
  }

  for (const pkg of packages) {
    it(`npm publish --dry-run --provenance ${pkg.name} publishes what was packed`, async () => {
      expect(packedFiles[pkg.name], 'the pack step failed').toBeDefined()
      // The flags the release workflow publishes with (docs/releasing.md); nothing is uploaded.
      const out = await run('npm', ['publish', '--dry-run', '--json', '--provenance', '--access', 'public'], {
        cwd: pkg.dir, timeoutMs: BUILD_TIMEOUT_MS,
      })
      // npm 11 keys the JSON by package name.
      const result = (JSON.parse(out.stdout) as Record<string, { id: string; files: Array<{ path: string }> }>)[pkg.name]
      expect(result?.id).toBe(`${pkg.name}@${pkg.version}`)
      expect(result!.files.map((f) => f.path).sort()).toEqual([...packedFiles[pkg.name]!].sort())
      progress(`${pkg.name}: publish dry-run ok`)
    }, BUILD_TIMEOUT_MS + MARGIN_MS)
  }

  it('installs the tarballs into a scratch project outside the workspace, no @parley package from a registry', async () => {
    expect(Object.keys(tarballs).sort(), 'a pack step failed').toEqual(packages.map((p) => p.name).sort())
    expect(relative(repoRoot, project).startsWith('..'), 'the scratch project must be outside the workspace').toBe(true)
    writeManifest(project, tarballs)
    progress(`npm install in ${project} (${Object.keys(tarballs).length} tarballs + typescript, @types/node)`)
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project, timeoutMs: INSTALL_TIMEOUT_MS })
    const resolutions = parleyResolutions(project)
    progress(`installed: ${resolutions.map((r) => `${r.path} ← ${r.resolved}`).join(', ')}`)
    expect(resolutions.filter((r) => !r.resolved?.startsWith('file:')), '@parley packages not from a tarball').toEqual([])
    expect(resolutions.map((r) => r.path).sort()).toEqual(packages.map((p) => `node_modules/${p.name}`).sort())
    installed = true
  }, INSTALL_TIMEOUT_MS + MARGIN_MS)

  for (const kind of ['esm', 'cjs'] as const) {
    it(`type-checks and compiles as ${kind === 'esm' ? 'an ESM' : 'a CJS'} consumer (strict, skipLibCheck: false, NodeNext)`, async () => {
      expect(installed, 'the install step failed').toBe(true)
      progress(`${kind}: tsc -p ${kind}/tsconfig.json`)
      // The guide's code listens on 3000; each copy gets a port that is free now instead.
      const port = await freePort()
      const guide = gettingStartedCode(port)
      const convert = kind === 'cjs' ? asCommonJs : (code: string) => code
      writeConsumer(project, kind, packages.flatMap((p) => p.entries), {
        'server.ts': convert(guide.server),
        'clients.ts': convert(guide.clients),
      })
      try {
        await run(process.execPath, [tsc(), '-p', join(kind, 'tsconfig.json')], { cwd: project, timeoutMs: TSC_TIMEOUT_MS })
      } catch (e) {
        expect.fail(`the ${kind} consumer does not type-check against the published declarations:\n${(e as Error).message}`)
      }
      compiled[kind] = true
      portOf[kind] = port
    }, TSC_TIMEOUT_MS + MARGIN_MS)
  }

  for (const kind of ['esm', 'cjs'] as const) {
    it(`loads every entry point with ${kind === 'esm' ? 'import' : 'require'} from the ${kind === 'esm' ? '.js' : '.cjs'} build`, async () => {
      expect(compiled[kind], `the ${kind} compile step failed`).toBe(true)
      const out = await run(process.execPath, [join(kind, 'dist/entries.js')], { cwd: project, timeoutMs: CLIENTS_TIMEOUT_MS })
      progress(out.stdout.trim().split('\n').join('; '))
      const specifiers = packages.flatMap((p) => p.entries.map((e) => e.specifier))
      for (const s of specifiers) expect(out.stdout).toContain(`${kind}: ${s} → `)
    }, CLIENTS_TIMEOUT_MS + MARGIN_MS)
  }

  for (const kind of ['esm', 'cjs'] as const) {
    it(`runs the getting-started server and two clients (${kind.toUpperCase()}): bob gets alice's message`, async () => {
      expect(compiled[kind], `the ${kind} compile step failed`).toBe(true)
      const cwd = join(project, kind)
      progress(`${kind}: starting the getting-started server on port ${portOf[kind]}`)
      server = await startServer(process.execPath, ['dist/server.js'], { cwd, ready: /Parley on http:\/\/localhost:\d+/, timeoutMs: SERVER_READY_MS })
      progress(`${kind}: server ready; running the two clients`)
      let clients
      try {
        clients = await run(process.execPath, ['dist/clients.js'], { cwd, timeoutMs: CLIENTS_TIMEOUT_MS, env: consumerEnv() })
      } catch (e) {
        expect.fail(`${(e as Error).message}\n--- server output\n${server.output()}`)
      }
      progress(`${kind}: clients said: ${clients.stdout.trim().split('\n').join(' | ')}`)
      expect(clients.stdout).toContain('mode: e2ee')
      expect(clients.stdout).toMatch(/bob got "Hello Bob — only you can read this\." \(e2ee\)/)
      expect(clients.stdout).toMatch(/blocked: /)
      expect(clients.stdout).toMatch(/report: (\d+)\/\1 messages verified/)
      const code = await stop(server.child, 'SIGTERM', SHUTDOWN_GRACE_MS)
      const output = server.output()
      server = undefined
      expect(code, `after SIGTERM the server did not exit within ${SHUTDOWN_GRACE_MS} ms:\n${output}`).not.toBeNull()
      progress(`${kind}: server stopped on SIGTERM (exit ${code})`)
    }, SERVER_READY_MS + CLIENTS_TIMEOUT_MS + SHUTDOWN_GRACE_MS + MARGIN_MS)
  }
})
