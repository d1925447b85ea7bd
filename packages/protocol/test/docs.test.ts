import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DOC_PATH, END, START, renderProtocolTables } from '../scripts/protocol-doc.js'
import { CLIENT_FRAME_SCHEMAS, ERROR_CODES, SERVER_FRAME_SCHEMAS } from '../src/index.js'

describe('docs/protocol.md', () => {
  const doc = readFileSync(DOC_PATH, 'utf8')
  const generated = doc.slice(doc.indexOf(START), doc.indexOf(END) + END.length)
  it('holds exactly the generated frames, limits, policy and error tables (run `npm run docs -w @parley/protocol`)', () => {
    expect(generated).toBe(renderProtocolTables())
  })
  it('names every frame and every error code', () => {
    for (const e of [...Object.keys(CLIENT_FRAME_SCHEMAS), ...Object.keys(SERVER_FRAME_SCHEMAS)]) expect(doc).toContain(`\`${e}\``)
    for (const c of ERROR_CODES) expect(doc).toContain(`\`${c}\``)
  })
})
