import { parleyTsupConfig } from '../../tsup.shared'

// PGlite's published .d.ts uses the global `Emscripten` namespace without depending on
// @types/emscripten. Ours exposes PGlite, so it references those types (a dependency of this
// package) for apps that type-check their dependencies (skipLibCheck: false) whatever their `types`.
export default parleyTsupConfig({ platform: 'node', dts: { banner: '/// <reference types="emscripten" />' } })
