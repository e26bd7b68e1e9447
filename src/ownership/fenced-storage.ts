// The fence around the watchers' writes: a ScanStorage that refuses, before sending anything, a write or delete that
// touches an account (its invitations, their notifications, its session) whose partition this instance does not own
// right now. A process paused past its lease therefore changes nothing when it wakes: its lease has run out by its
// own clock, so the write is refused and the batch stays unacknowledged for the new owner.
import type { StoreItems } from 'botbuilder';
import type { ScanStorage } from '../store';
import type { PartitionMap } from './partition-map';

export class NotOwnerError extends Error {
  constructor(readonly partition: number) {
    super(`this instance no longer owns partition ${partition}; the write was not made`);
    this.name = 'NotOwnerError';
  }
}

export class FencedStorage implements ScanStorage {
  constructor(
    private readonly inner: ScanStorage,
    private readonly partitions: PartitionMap,
    private readonly owns: (partition: number) => boolean,
  ) {}

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    this.check(Object.keys(changes));
    return this.inner.write(changes);
  }

  async delete(keys: string[]): Promise<void> {
    this.check(keys);
    return this.inner.delete(keys);
  }

  keysWithPrefix(prefix: string): Promise<string[]> {
    return this.inner.keysWithPrefix(prefix);
  }

  private check(keys: readonly string[]): void {
    for (const key of keys) {
      const partition = this.partitions.ofStorageKey(key);
      if (partition !== undefined && !this.owns(partition)) throw new NotOwnerError(partition);
    }
  }
}
