/**
 * Every fenced block opened with ```ts runnable (or ```typescript runnable, or ```tsx runnable
 * for React components) in README.md and docs/*.md is extracted into its own module and
 * type-checked by tsc against the workspace sources, so the docs cannot rot. Relative links
 * must point at files that exist.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const docFiles = [
  'README.md',
  'SECURITY.md',
  ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...(existsSync(join(root, 'docs/decisions'))
    ? readdirSync(join(root, 'docs/decisions')).filter((f) => f.endsWith('.md')).map((f) => `docs/decisions/${f}`)
    : []),
]

interface Block { file: string; line: number; code: string; ext: 'ts' | 'tsx' }

export function runnableBlocks(file: string): Block[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript|tsx)\s+runnable\b/.exec(lines[i]!)
    if (!open) continue
    const ext = open[1] === 'tsx' ? 'tsx' : 'ts'
    const start = i + 1
    const body: string[] = []
    for (i = start; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!)
    blocks.push({ file, line: start + 1, code: body.join('\n'), ext })
  }
  return blocks
}

describe('docs', () => {
  const blocks = docFiles.flatMap(runnableBlocks)

  it('has runnable examples, React ones among them', () => {
    expect(blocks.length).toBeGreaterThan(0)
    expect(blocks.filter((b) => b.ext === 'tsx').length).toBeGreaterThan(0)
  })

  it('every `ts runnable` block type-checks against the packages', () => {
    const out = join(root, 'packages/docs-check/.generated')
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    const names = blocks.map((b, n) => {
      const name = `${b.file.replace(/[/.]/g, '_')}_L${b.line}_${n}.${b.ext}`
      // `export {}` makes each block its own module (top-level await, no global clashes).
      writeFileSync(join(out, name), `${b.code}\nexport {}\n`)
      return { name, b }
    })
    writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { noEmit: true, noUnusedLocals: false, jsx: 'react-jsx' },
      include: ['*.ts', '*.tsx'],
    }))
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(out, 'tsconfig.json')], {
        encoding: 'utf8', stdio: 'pipe',
      })
    } catch (e) {
      const text = String((e as { stdout?: string }).stdout ?? e)
      // Map generated file names back to the doc and line for a readable failure.
      const mapped = names.reduce((t, { name, b }) => t.split(name).join(`${b.file}:${b.line}`), text)
      expect.fail(`runnable doc blocks do not compile:\n${mapped}`)
    }
  })

  it('relative links point at files that exist', () => {
    const broken: string[] = []
    for (const file of docFiles) {
      const text = readFileSync(join(root, file), 'utf8')
      for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = m[1]!
        if (/^[a-z]+:/i.test(target)) continue
        if (!existsSync(resolve(root, dirname(file), target))) broken.push(`${file} → ${target}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('every test SECURITY.md and the threat model name as proof exists', () => {
    // A claim backed by a test that was renamed or deleted is a claim backed by nothing.
    const missing: string[] = []
    for (const file of ['SECURITY.md', 'docs/threat-model.md']) {
      const text = readFileSync(join(root, file), 'utf8')
      const named = [...text.matchAll(/`([\w./*-]+\.test\.ts)`/g)].map((m) => m[1]!)
      expect(named.length, `${file} names no test`).toBeGreaterThan(0)
      for (const path of named) if (!testExists(path)) missing.push(`${file} → ${path}`)
    }
    expect(missing).toEqual([])
  })
})

/** A test path as the docs write it: full from the repo root, or under one of the test folders. */
function testExists(path: string): boolean {
  const bases = path.startsWith('packages/') ? [''] : ['packages/tests/test/', 'packages/tests/test/hostile/', 'packages/tests/test/safety/']
  return bases.some((base) => {
    const full = join(root, base + path)
    if (!path.includes('*')) return existsSync(full)
    const dir = dirname(full)
    const pattern = new RegExp(`^${full.slice(dir.length + 1).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`)
    return existsSync(dir) && readdirSync(dir).some((f) => pattern.test(f))
  })
}
