import { defineConfig } from 'tsup'

export default defineConfig({
  // `node` is a separate entry so the main entry (and the browser bundle) never imports node:fs.
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'neutral',
})
