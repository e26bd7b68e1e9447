// Ownership in process memory, for `memory:` storage: nothing is shared, so the one process owns every partition.
// It keeps the contract's rules all the same (eTags, lease ids, expiry), which is what the balancer's tests run on.
import { randomUUID } from 'node:crypto';
import { checkLeaseMs, type Ownership, type OwnershipStore, type OwnershipStoreOptions } from './ownership-store';

export class MemoryOwnershipStore implements OwnershipStore {
  private readonly records = new Map<number, Ownership>();
  private readonly leaseMs: number;
  private readonly now: () => number;
  private version = 0;

  constructor(options: OwnershipStoreOptions) {
    this.leaseMs = checkLeaseMs(options.leaseMs);
    this.now = options.now ?? Date.now;
  }

  async list(): Promise<Ownership[]> {
    return [...this.records.values()].sort((a, b) => a.partition - b.partition).map((o) => ({ ...o }));
  }

  async claim(partition: number, ownerId: string, seen: Ownership | undefined): Promise<Ownership | undefined> {
    if (this.records.get(partition)?.eTag !== seen?.eTag) return undefined;
    return this.store(partition, ownerId, this.now() + this.leaseMs, randomUUID());
  }

  async renew(held: Ownership): Promise<Ownership | undefined> {
    if (!this.holds(held)) return undefined;
    return this.store(held.partition, held.ownerId, this.now() + this.leaseMs, held.leaseId);
  }

  async release(held: Ownership): Promise<void> {
    if (this.holds(held)) this.store(held.partition, '', 0, '');
  }

  async close(): Promise<void> {}

  private holds(held: Ownership): boolean {
    const current = this.records.get(held.partition);
    return current !== undefined && current.eTag === held.eTag && current.leaseId === held.leaseId;
  }

  private store(partition: number, ownerId: string, expiresAt: number, leaseId: string): Ownership {
    const record: Ownership = { partition, ownerId, expiresAt, leaseId, eTag: String(++this.version) };
    this.records.set(partition, record);
    return { ...record };
  }
}
