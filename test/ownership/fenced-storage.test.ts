// The fence: a watcher's writes for an account go through only while this instance owns the account's partition.
// A process paused past its lease (its timers frozen, as under SIGSTOP) writes nothing when it wakes.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Logger } from '../../src/logger';
import { FencedStorage, NotOwnerError } from '../../src/ownership/fenced-storage';
import { MemoryOwnershipStore } from '../../src/ownership/memory-ownership-store';
import { PartitionMap } from '../../src/ownership/partition-map';
import { PartitionOwner } from '../../src/ownership/partition-owner';
import { createRepositories, MemoryStorage } from '../../src/store';
import { upsertInput } from '../store/helpers';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

describe('FencedStorage: writes only while the account is owned', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_800_000_000_000, toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('a paused owner whose lease ran out and was taken over stores nothing after waking', async () => {
    const leases = new MemoryOwnershipStore({ leaseMs: 30_000 });
    const partitions = new PartitionMap(4);
    const options = { partitions, leaseMs: 30_000, renewMs: 10_000, log: silent };
    const sleeper = new PartitionOwner(leases, { ...options, instanceId: 'sleeper' });
    await sleeper.start();
    const shared = new MemoryStorage();
    const fenced = createRepositories(new FencedStorage(shared, partitions, (p) => sleeper.owns(p)));
    const input = upsertInput({ accountId: 'paused-account' });

    await fenced.persistEventBatch({ invitations: [input] });
    const before = await shared.keysWithPrefix('sfb/');
    assert.ok(before.length > 0, 'the owner writes while its lease holds');

    sleeper.halt(); // SIGSTOP: no renewal runs
    await clock.tickAsync(40_000);
    const other = new PartitionOwner(leases, { ...options, instanceId: 'other' });
    await other.start();
    assert.ok(other.ownsAccount('paused-account'), 'the partition was taken over');

    // SIGCONT: the batch it was about to store is refused, whatever it contains.
    await assert.rejects(
      fenced.persistEventBatch({ invitations: [upsertInput({ accountId: 'paused-account', invitationHref: '/x/2', subject: 'late' })] }),
      (err: unknown) => err instanceof NotOwnerError || (err as Error).cause instanceof NotOwnerError,
    );
    await assert.rejects(fenced.accounts.delete('paused-account'), NotOwnerError);
    assert.deepEqual(await shared.keysWithPrefix('sfb/'), before, 'nothing was written after waking');
    other.halt();
  });

  it('lets through keys that belong to no account', async () => {
    const shared = new MemoryStorage();
    const fenced = new FencedStorage(shared, new PartitionMap(4), () => false);
    await fenced.write({ 'sfb/readiness/x': { at: 1 }, 'msteams/conversations/y': { n: 1 } });
    assert.equal((await shared.keysWithPrefix('')).length, 2);
  });
});
