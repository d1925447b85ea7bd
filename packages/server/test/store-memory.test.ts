import { storeContract } from '../src/store/contract.js'
import { memoryStore } from '../src/store/memory-store.js'

storeContract('memory', async () => memoryStore())
