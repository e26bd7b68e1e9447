// The seam between partition leases and the watchers: losing a partition hands its watched accounts over at once
// (no sign-out, so the new owner continues them); gaining one starts the linked accounts again.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { OwnedAccounts } from '../../bot/owned-accounts';
import type { Logger } from '../../src/logger';
import { MemoryOwnershipStore } from '../../src/ownership/memory-ownership-store';
import { PartitionMap } from '../../src/ownership/partition-map';
import { PartitionOwner } from '../../src/ownership/partition-owner';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

/** Stands for the supervisor: which accounts run here, and which were handed over. */
class Watchers {
  readonly running = new Set<string>();
  readonly handedOver: string[] = [];
  async handOver(id: string): Promise<void> {
    this.running.delete(id);
    this.handedOver.push(id);
  }
  watchedAccounts(): string[] {
    return [...this.running];
  }
}

describe('OwnedAccounts: watchers follow the partition leases', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_800_000_000_000, toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('hands over exactly the accounts of lost partitions, and starts accounts when partitions are gained', async () => {
    const store = new MemoryOwnershipStore({ leaseMs: 30_000 });
    const partitions = new PartitionMap(8);
    const options = { partitions, leaseMs: 30_000, renewMs: 10_000, log: silent };
    const accounts = Array.from({ length: 40 }, (_, i) => `user-${i}`);

    const a = new PartitionOwner(store, { ...options, instanceId: 'a' });
    await a.start();
    const watchersA = new Watchers();
    accounts.forEach((id) => watchersA.running.add(id));
    const startAllA = sinon.stub().resolves(0);
    new OwnedAccounts(a, watchersA, { startAll: startAllA }, silent).start();

    const b = new PartitionOwner(store, { ...options, instanceId: 'b' });
    const startAllB = sinon.stub().resolves(0);
    new OwnedAccounts(b, new Watchers(), { startAll: startAllB }, silent).start();
    await b.start();
    await clock.tickAsync(60_000);

    const lostByA = new Set([...Array(partitions.count).keys()].filter((p) => !a.owns(p)));
    assert.ok(lostByA.size > 0, 'b took partitions from a');
    assert.deepEqual(
      [...watchersA.handedOver].sort(),
      accounts.filter((id) => lostByA.has(partitions.ofAccount(id))).sort(),
      'every account of a lost partition, and no other, was handed over',
    );
    assert.ok(accounts.filter((id) => a.ownsAccount(id)).every((id) => watchersA.running.has(id)));
    assert.ok(startAllB.called, 'b started the accounts of the partitions it gained');
    a.halt();
    b.halt();
  });
});
