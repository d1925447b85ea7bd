/**
 * Browser entry of the web chat: mounts the Preact app. Bundled by `src/bundle.ts`.
 */
import { render } from 'preact'
import { App } from './app.js'
import './styles.css'

render(<App />, document.getElementById('app')!)
