// This instance's side of the partition leases: every renewal interval it renews what it holds, lists the store and
// claims what the load balancer says, and tells its listeners which partitions it gained and lost. It answers
// owns(partition) from its own clock, conservatively: a lease counts from the moment the renewal was sent, and a
// stolen partition only from the moment the previous owner's lease ran out, so two instances never both believe
// they own a partition (given clocks that agree to within the margin the lease leaves).
import type { Logger } from '../logger';
import { planClaims } from './load-balancer';
import type { Ownership, OwnershipStore } from './ownership-store';
import { PartitionMap } from './partition-map';

export interface PartitionOwnerOptions {
  instanceId: string;
  partitions: PartitionMap;
  leaseMs: number;
  renewMs: number;
  log: Logger;
  now?: () => number;
  random?: () => number;
}

export interface OwnershipChange {
  gained: number[];
  lost: number[];
}

type ChangeListener = (change: OwnershipChange) => void;

interface Held {
  record: Ownership;
  /** Until when this instance may act on it (renewal sent + lease time). */
  validUntil: number;
  /** From when (later than now only for a stolen partition whose previous owner may still be working). */
  activeFrom: number;
  announced: boolean;
}

export class PartitionOwner {
  private readonly held = new Map<number, Held>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly store: OwnershipStore,
    private readonly options: PartitionOwnerOptions,
  ) {
    if (options.renewMs >= options.leaseMs) throw new RangeError('PartitionOwner: the renewal interval must be shorter than the lease');
    this.now = options.now ?? Date.now;
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  get partitions(): PartitionMap {
    return this.options.partitions;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs the first round (so start-up knows what it owns), then one every renewal interval. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.renewMs);
    this.timer.unref();
  }

  /** Stops renewing and releases every partition, so other instances take them over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    const held = [...this.held.values()];
    this.held.clear();
    this.announce([], held.filter((h) => h.announced).map((h) => h.record.partition));
    await Promise.all(held.map((h) => this.store.release(h.record).catch(() => undefined)));
  }

  /** Stops renewing without releasing anything, as a crash would: the leases simply run out. (A test seam.) */
  halt(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  owns(partition: number): boolean {
    const h = this.held.get(partition);
    const now = this.now();
    return h !== undefined && now >= h.activeFrom && now < h.validUntil;
  }

  ownsAccount(accountId: string): boolean {
    return this.owns(this.partitions.ofAccount(accountId));
  }

  ownedPartitions(): number[] {
    return [...this.held.keys()].filter((p) => this.owns(p)).sort((a, b) => a - b);
  }

  /** One renewal interval: drop what ran out, start what became ours, then renew and balance (one round at a time). */
  async tick(): Promise<void> {
    this.settle();
    if (this.round || this.stopped) return;
    this.round = this.balance()
      .catch((err: unknown) => this.options.log.warn('partition lease round failed', { error: err as Error }))
      .finally(() => (this.round = undefined));
    await this.round;
    this.settle();
  }

  private async balance(): Promise<void> {
    await Promise.all([...this.held.values()].map((h) => this.renew(h)));
    // A record in our name that we do not hold was left by an earlier process with the same INSTANCE_ID (killed and
    // restarted): it is ours to take back at once rather than after its lease runs out.
    const records = (await this.store.list()).map((o) => (o.ownerId === this.instanceId && !this.held.has(o.partition) ? { ...o, expiresAt: 0 } : o));
    const claims = planClaims({ me: this.instanceId, partitionCount: this.partitions.count, records, now: this.now(), random: this.options.random });
    await Promise.all(
      claims.map(async (claim) => {
        const sent = this.now();
        const record = await this.store.claim(claim.partition, this.instanceId, claim.seen);
        if (!record || this.stopped) return;
        this.held.set(claim.partition, { record, validUntil: sent + this.options.leaseMs, activeFrom: claim.stolenUntil ?? sent, announced: false });
      }),
    );
  }

  private async renew(h: Held): Promise<void> {
    const sent = this.now();
    let renewed: Ownership | undefined;
    try {
      renewed = await this.store.renew(h.record);
    } catch (err) {
      // Not known to be lost: it stays ours until its lease runs out locally (settle), unless a later round renews it.
      this.options.log.warn('partition lease renewal failed', { partition: h.record.partition, error: err as Error });
      return;
    }
    if (this.held.get(h.record.partition) !== h) return;
    if (renewed) {
      h.record = renewed;
      h.validUntil = sent + this.options.leaseMs;
      return;
    }
    this.held.delete(h.record.partition);
    if (h.announced) this.announce([], [h.record.partition]);
  }

  /** Lost: leases that ran out unrenewed. Gained: claims whose start has come. */
  private settle(): void {
    const now = this.now();
    const gained: number[] = [];
    const lost: number[] = [];
    for (const [partition, h] of this.held) {
      if (now >= h.validUntil) {
        this.held.delete(partition);
        if (h.announced) lost.push(partition);
      } else if (!h.announced && now >= h.activeFrom) {
        h.announced = true;
        gained.push(partition);
      }
    }
    this.announce(gained, lost);
  }

  private announce(gained: number[], lost: number[]): void {
    if (gained.length === 0 && lost.length === 0) return;
    for (const partition of gained) this.options.log.info('partition lease gained', { partition, instance: this.instanceId });
    for (const partition of lost) this.options.log.warn('partition lease lost', { partition, instance: this.instanceId });
    for (const listener of this.listeners) {
      try {
        listener({ gained, lost });
      } catch (err) {
        this.options.log.error('a partition ownership listener failed', { error: err as Error });
      }
    }
  }
}
