import { storeContract } from '../src/store/contract.js'
import { appendContract } from '../src/store/contract-append.js'
import { freshPgliteStore } from './helpers/pglite.js'

storeContract('pglite', freshPgliteStore)
appendContract('pglite', freshPgliteStore)
