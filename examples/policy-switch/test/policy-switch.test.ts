/**
 * Runs the policy-switch script as a process (optional-e2ee → server-side → default-e2ee, and
 * default-e2ee → server-side) and checks what it reports: E2EE conversations are never
 * downgraded, new conversations follow the new policy, server-side conversations are upgraded
 * on their next send under default-e2ee, and both members get the notices.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))
const DIR = fileURLToPath(new URL('..', import.meta.url))

function runScript(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['--conditions=@parley/source', 'src/index.ts', ...args], { cwd: DIR, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`policy-switch did not finish:\n${out}`))
    }, 150_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** The "after" mode of `name` in the phase's table. */
function modeAfter(out: string, phase: number, name: string): string | undefined {
  const table = out.split(`-- conversations after phase ${phase} `)[1]?.split('-- notices')[0] ?? ''
  return table.match(new RegExp(`${name}\\s+\\S+\\s+→\\s+(\\S+)`))?.[1]
}

function noticesOf(out: string, phase: number): string {
  return out.split(`-- notices received in phase ${phase}`)[1]?.split('==')[0] ?? ''
}

describe('policy-switch', () => {
  it('optional-e2ee → server-side → default-e2ee: never a downgrade, upgrades on next send, notices on both sides', async () => {
    const { code, out } = await runScript([])
    expect(code, out).toBe(0)
    // Phase 1: the upgraded conversation is E2EE, the other stays server-side.
    expect(modeAfter(out, 1, 'alice↔bob')).toBe('e2ee')
    expect(modeAfter(out, 1, 'alice↔carol')).toBe('server-side')
    expect(noticesOf(out, 1)).toMatch(/bob \[mode_changed\] \(alice↔bob\)/)
    // Phase 2, server-side: E2EE stays E2EE; the new conversation follows the policy.
    expect(modeAfter(out, 2, 'alice↔bob')).toBe('e2ee')
    expect(out).toMatch(/alice → alice↔bob: "hello again under server-side" \(sent #\d+ as e2ee\)/)
    expect(modeAfter(out, 2, 'bob↔carol')).toBe('server-side')
    const p2 = noticesOf(out, 2)
    for (const u of ['alice', 'bob']) expect(p2).toMatch(new RegExp(`${u} \\[policy_changed\\] \\(alice↔bob\\) .*stays end-to-end encrypted`))
    for (const u of ['alice', 'carol']) expect(p2).toMatch(new RegExp(`${u} \\[policy_changed\\] \\(alice↔carol\\)`))
    // Phase 3, default-e2ee: every server-side conversation upgraded on its next send.
    for (const c of ['alice↔bob', 'alice↔carol', 'bob↔carol']) expect(modeAfter(out, 3, c)).toBe('e2ee')
    const p3 = noticesOf(out, 3)
    for (const u of ['bob', 'carol']) expect(p3).toMatch(new RegExp(`${u} \\[upgrade_required\\] \\(bob↔carol\\)`))
    expect(p3).toMatch(/carol \[mode_changed\] \(alice↔carol\)/)
    expect(out).toContain('no conversation ever went from e2ee back to server-side')
  }, 180_000)

  it('default-e2ee → server-side: the E2EE conversations stay E2EE', async () => {
    const { code, out } = await runScript(['--policies', 'default-e2ee,server-side'])
    expect(code, out).toBe(0)
    expect(modeAfter(out, 1, 'alice↔bob')).toBe('e2ee')
    expect(modeAfter(out, 2, 'alice↔bob')).toBe('e2ee')
    expect(modeAfter(out, 2, 'alice↔carol')).toBe('e2ee')
    expect(modeAfter(out, 2, 'bob↔carol')).toBe('server-side')
    expect(noticesOf(out, 2)).toMatch(/carol \[policy_changed\] \(alice↔carol\) .*stays end-to-end encrypted/)
  }, 180_000)

  it('rejects an unknown policy with a usage error', async () => {
    const { code, out } = await runScript(['--policies', 'optional-e2ee,nope'])
    expect(code).not.toBe(0)
    expect(out).toContain('"nope" is not one of')
  }, 60_000)
})
