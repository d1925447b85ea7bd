import { storeContract } from '../src/store/contract.js'
import { freshPgliteStore } from './helpers/pglite.js'

storeContract('pglite', freshPgliteStore)
