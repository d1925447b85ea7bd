import { parleyVitestConfig } from '../../vitest.shared'

// The hooks run in happy-dom (a DOM in Node); servers and clients are the real ones, in-process.
export default parleyVitestConfig({
  include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
  environment: 'happy-dom',
})
