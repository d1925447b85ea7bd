import { storeContract } from '../src/store/contract.js'
import { appendContract } from '../src/store/contract-append.js'
import { groupContract } from '../src/store/contract-groups.js'
import { recoveryContract } from '../src/store/contract-recovery.js'
import { freshPgliteStore } from './helpers/pglite.js'

storeContract('pglite', freshPgliteStore)
appendContract('pglite', freshPgliteStore)
groupContract('pglite', freshPgliteStore)
recoveryContract('pglite', freshPgliteStore)
