// Account ownership across bot instances: partitions, their leases in the shared store, and the balancer.
export { DEFAULT_PARTITION_COUNT, MAX_PARTITION_COUNT, PartitionMap, accountKeyOfStorageKey } from './partition-map';
export { isActive, type Ownership, type OwnershipStore, type OwnershipStoreOptions } from './ownership-store';
export { MemoryOwnershipStore } from './memory-ownership-store';
export { SqliteOwnershipStore } from './sqlite-ownership-store';
export { openOwnershipStore, type OpenOwnershipStoreOptions } from './open-ownership-store';
export { planClaims, type BalanceInput, type Claim } from './load-balancer';
export { PartitionOwner, type OwnershipChange, type PartitionOwnerOptions } from './partition-owner';
export { FencedStorage, NotOwnerError } from './fenced-storage';
