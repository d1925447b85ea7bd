/**
 * Browser entry of the operator console: mounts it into `/operator`'s page. Bundled by
 * `src/bundle.ts` and served only to a signed-in operator.
 */
import { createRoot } from 'react-dom/client'
import { ConsoleApp } from './console-app.js'
import './console.css'

createRoot(document.getElementById('console')!).render(<ConsoleApp />)
