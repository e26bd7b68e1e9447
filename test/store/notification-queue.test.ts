// NotificationQueue over each storage: collapse to one per invitation, ordering, and completion that never drops
// a notification enqueued meanwhile.
import assert from 'node:assert/strict';
import { storageKeys } from '../../src/store/keys';
import { MemoryStorage } from '../../src/store/memory-storage';
import { NotificationQueue } from '../../src/store/notification-queue';
import { createRepositories } from '../../src/store/repositories';
import type { ClosableStorage } from '../../src/store/storage';
import { HookedStorage, ManualClock, storageFactories, TempDirs, upsertInput } from './helpers';

for (const factory of storageFactories) {
  describe(`NotificationQueue on ${factory.name}`, () => {
    const temp = new TempDirs();
    before(() => factory.setUp?.());
    let storage: ClosableStorage;
    let hooked: HookedStorage;
    let clock: ManualClock;
    let queue: NotificationQueue;

    beforeEach(() => {
      storage = factory.open(temp);
      hooked = new HookedStorage(storage);
      clock = new ManualClock();
      queue = new NotificationQueue(hooked, { clock: clock.now });
    });
    afterEach(() => storage.close());
    after(() => temp.cleanup());

    it('collapses several enqueues for one invitation into one notification', async () => {
      await queue.enqueue('inv-1', 'post');
      await queue.enqueue('inv-1', 'update');
      await queue.enqueue('inv-1', 'update');
      const pending = await queue.pending();
      assert.equal(pending.length, 1);
      assert.equal(pending[0].invitationId, 'inv-1');
      assert.deepEqual(await storage.keysWithPrefix(''), [storageKeys.notification('inv-1')]);
    });

    it("keeps a pending 'post' a post (the card was never posted); a 'post' upgrades a pending 'update'", async () => {
      await queue.enqueue('a', 'post');
      assert.equal((await queue.enqueue('a', 'update')).kind, 'post');
      await queue.enqueue('b', 'update');
      assert.equal((await queue.enqueue('b', 'post')).kind, 'post');
    });

    it('gives every enqueue a strictly later createdAt, even within one millisecond, and keeps queuedSince', async () => {
      const first = await queue.enqueue('a', 'post');
      const second = await queue.enqueue('a', 'update');
      const third = await queue.enqueue('a', 'update');
      assert.ok(first.createdAt < second.createdAt && second.createdAt < third.createdAt);
      assert.equal(third.queuedSince, first.createdAt);
      assert.deepEqual(await queue.get('a'), third);
    });

    it('lists pending notifications by how long they have waited', async () => {
      await queue.enqueue('b', 'post');
      clock.advance(1000);
      await queue.enqueue('a', 'post');
      clock.advance(1000);
      await queue.enqueue('b', 'update'); // still the oldest: collapsing keeps its place
      assert.deepEqual((await queue.pending()).map((n) => n.invitationId), ['b', 'a']);
    });

    it('complete() removes the notification the drainer handled', async () => {
      const n = await queue.enqueue('a', 'post');
      assert.equal(await queue.complete('a', n.createdAt), true);
      assert.deepEqual(await queue.pending(), []);
      assert.equal(await queue.get('a'), undefined);
      assert.equal(await queue.complete('a', n.createdAt), false, 'nothing left to complete');
      assert.equal(await queue.complete('never', n.createdAt), false);
    });

    it('complete() leaves a newer notification enqueued after the drainer read it', async () => {
      const handled = await queue.enqueue('a', 'post');
      const newer = await queue.enqueue('a', 'update');
      assert.equal(await queue.complete('a', handled.createdAt), false);
      assert.deepEqual(await queue.pending(), [newer]);
    });

    it('complete() loses safely to an enqueue landing between its read and its write', async () => {
      const handled = await queue.enqueue('a', 'post');
      const watcher = new NotificationQueue(storage, { clock: clock.now });
      let newer: unknown;
      hooked.beforeNextWrite(async () => {
        newer = await watcher.enqueue('a', 'update');
      });
      assert.equal(await queue.complete('a', handled.createdAt), false);
      assert.deepEqual(await queue.pending(), [newer]);
    });

    it('complete() leaves nothing of a handled notification for later drain passes to read, where the store can delete conditionally', async () => {
      for (const id of ['a', 'b', 'c']) {
        const n = await queue.enqueue(id, 'post');
        assert.equal(await queue.complete(id, n.createdAt), true);
      }
      const left = await storage.keysWithPrefix(storageKeys.notification(''));
      assert.deepEqual(left, storage.deleteIfETag ? [] : ['a', 'b', 'c'].map(storageKeys.notification), 'tombstones only without a conditional delete');
    });

    it('after completion, a new enqueue starts a fresh notification of the requested kind', async () => {
      const posted = await queue.enqueue('a', 'post');
      await queue.complete('a', posted.createdAt);
      clock.advance(60_000);
      const next = await queue.enqueue('a', 'update');
      assert.equal(next.kind, 'update');
      assert.equal(next.queuedSince, clock.now().toISOString());
      assert.deepEqual(await queue.pending(), [next]);
    });
  });
}

describe('createRepositories: the queue drives whoever delivers cards', () => {
  it('every write that queues a card tells the onQueued subscribers, and a write that queues none does not', async () => {
    const repositories = createRepositories(new MemoryStorage());
    let heard = 0;
    const unsubscribe = repositories.notifications.onQueued(() => heard++);
    const [first] = await repositories.persistEventBatch({ invitations: [upsertInput()] });
    assert.equal(heard, 1, 'a new invitation: its card is posted');
    await repositories.persistEventBatch({ invitations: [upsertInput()] });
    assert.equal(heard, 1, 'a re-delivery changes nothing');
    await repositories.invitations.apply(first.record.id, { kind: 'click', verb: 'accept' });
    assert.equal(heard, 2, 'a click redraws the card');
    await repositories.invitations.apply(first.record.id, { kind: 'clickOutcome', outcome: 'ok' });
    assert.equal(heard, 2, 'the pool took it: nothing to draw until its events');
    await repositories.invitations.apply(first.record.id, { kind: 'recovered', finding: 'stillOffered' });
    assert.equal(heard, 3, 'a reopened click is queued once');
    unsubscribe();
    await repositories.invitations.apply(first.record.id, { kind: 'conversationGone' });
    assert.equal(heard, 3);
  });
});
