import { storeContract } from '../src/store/contract.js'
import { appendContract } from '../src/store/contract-append.js'
import { groupContract } from '../src/store/contract-groups.js'
import { recoveryContract } from '../src/store/contract-recovery.js'
import { memoryStore } from '../src/store/memory-store.js'

storeContract('memory', async () => memoryStore())
appendContract('memory', async () => memoryStore())
groupContract('memory', async () => memoryStore())
recoveryContract('memory', async () => memoryStore())
