export { npyHeader, rowRecord, writeEmbeddingsNpy, type RowRecord } from './npy.js';
export {
  recordCopies,
  writeRebalancedJsonl,
  type RebalanceBehaviorCount,
  type RebalanceWriteOptions,
  type RebalanceWriteResult,
} from './rebalance.js';
export { temporaryPath, writeAtomically, writeFileAtomic } from './atomic-write.js';
