/**
 * Browser entry of the web chat: mounts the React app. Bundled by `src/bundle.ts`.
 */
import { createRoot } from 'react-dom/client'
import { App } from './app.js'
import './styles.css'

createRoot(document.getElementById('app')!).render(<App />)
