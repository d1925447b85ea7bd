// The workspace packages named by the root package.json `workspaces` field (plain folders and
// `folder/*` patterns, the only forms this repository uses), with their package.json.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export function workspaces(root) {
  const patterns = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? []
  const dirs = patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return [join(root, p)]
    const base = join(root, p.slice(0, -2))
    return existsSync(base) ? readdirSync(base).sort().map((d) => join(base, d)) : []
  })
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
}

