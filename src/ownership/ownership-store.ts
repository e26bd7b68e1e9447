// The ownership-store contract: one ownership record per partition in the shared store, claimed and renewed with
// optimistic concurrency (an eTag), the way the Event Hubs processor's checkpoint store records partition owners.
// Implementations: Azure Blob (a real blob lease plus an eTag-guarded record), SQLite (a lease row with a version),
// memory (one process: it owns everything, but keeps the same rules so the balancer can be tested on it).

/** One partition's ownership as stored. */
export interface Ownership {
  partition: number;
  /** The owning instance; '' when released. */
  ownerId: string;
  /** When the lease runs out (ms since the epoch, by the clock of the instance that wrote it). */
  expiresAt: number;
  /** The record's version: a claim or renewal naming a stale eTag fails. */
  eTag: string;
  /** The lease id that proves the holder's right to renew and release (a blob lease id, or a random token). */
  leaseId: string;
}

export interface OwnershipStore {
  /** Every partition that has a record (a partition never claimed has none). */
  list(): Promise<Ownership[]>;
  /**
   * Claims a partition for `ownerId` for one lease time. `seen` is the record as listed (undefined when the
   * partition had none): if anyone changed it since, the claim fails. A live owner's lease is broken (a steal; the
   * balancer decides when that is right). Returns the new record, or undefined when another claimer won.
   */
  claim(partition: number, ownerId: string, seen: Ownership | undefined): Promise<Ownership | undefined>;
  /** Extends a held lease by one lease time. Undefined when it was lost (taken over, broken, or changed). */
  renew(held: Ownership): Promise<Ownership | undefined>;
  /** Gives the partition up (owner ''), so another instance can claim it at once. Harmless when already lost. */
  release(held: Ownership): Promise<void>;
  close(): Promise<void>;
}

export interface OwnershipStoreOptions {
  /** How long a claim or renewal holds. */
  leaseMs: number;
  /** The clock expiry is measured by (tests pass a fake one). */
  now?: () => number;
}

/** True when the record names a live owner at `now`. */
export function isActive(o: Ownership, now: number): boolean {
  return o.ownerId !== '' && o.expiresAt > now;
}

export function checkLeaseMs(leaseMs: number): number {
  if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new RangeError('OwnershipStore: leaseMs must be a positive whole number');
  return leaseMs;
}
