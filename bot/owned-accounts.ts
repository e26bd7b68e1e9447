// Keeps the watched accounts in step with the partitions this instance owns: a lost partition's watchers stop at
// once (without signing out: the new owner continues the same UCWA application from the stored event position), a
// gained partition's linked accounts start watching.
import type { Logger } from '../src/logger';
import type { OwnershipChange, PartitionOwner } from '../src/ownership';
import type { WatcherSupervisor } from '../src/watcher';
import type { WatchManager } from './watch-manager';

export class OwnedAccounts {
  private unsubscribe?: () => void;
  /** Changes are applied one after another, in the order they happened. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly owner: PartitionOwner,
    private readonly supervisor: Pick<WatcherSupervisor, 'handOver' | 'watchedAccounts'>,
    private readonly watches: Pick<WatchManager, 'startAll'>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.unsubscribe ??= this.owner.onChange((change) => {
      // Lost partitions first and synchronously started: their watchers must not acknowledge another batch.
      const handOvers = this.handOverLost(change);
      this.queue = this.queue.then(() => handOvers).then(() => this.startGained(change));
    });
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return this.queue;
  }

  /** How many watched accounts this instance holds. */
  count(): number {
    return this.supervisor.watchedAccounts().length;
  }

  private handOverLost(change: OwnershipChange): Promise<unknown> {
    if (change.lost.length === 0) return Promise.resolve();
    const lost = new Set(change.lost);
    const accounts = this.supervisor.watchedAccounts().filter((id) => lost.has(this.owner.partitions.ofAccount(id)));
    if (accounts.length > 0) this.log.info('handing over accounts of lost partitions', { partitions: change.lost.length, accounts: accounts.length });
    return Promise.all(accounts.map((id) => this.supervisor.handOver(id).catch((err: unknown) => this.log.warn('stopping a handed-over watcher failed', { error: err as Error }))));
  }

  private async startGained(change: OwnershipChange): Promise<void> {
    if (change.gained.length === 0) return;
    try {
      await this.watches.startAll();
    } catch (err) {
      this.log.warn('starting the accounts of gained partitions failed', { error: err as Error });
    }
  }
}
