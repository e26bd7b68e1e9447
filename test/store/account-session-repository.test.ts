// AccountSessionRepository over each storage.
import assert from 'node:assert/strict';
import { AccountSessionRepository, MAX_LAST_ERROR_LENGTH } from '../../src/store/account-session-repository';
import type { ClosableStorage } from '../../src/store/storage';
import { ManualClock, storageFactories, TempDirs } from './helpers';

for (const factory of storageFactories) {
  describe(`AccountSessionRepository on ${factory.name}`, () => {
    const temp = new TempDirs();
    before(() => factory.setUp?.());
    let storage: ClosableStorage;
    let clock: ManualClock;
    let repo: AccountSessionRepository;

    beforeEach(() => {
      storage = factory.open(temp);
      clock = new ManualClock();
      repo = new AccountSessionRepository(storage, { clock: clock.now });
    });
    afterEach(() => storage.close());
    after(() => temp.cleanup());

    const alice = { accountId: 'alice@contoso.com', sip: 'sip:alice@contoso.com', status: 'connected' as const };

    it('saves, reads, overwrites, lists and deletes sessions', async () => {
      assert.equal(await repo.get(alice.accountId), undefined);
      const saved = await repo.save({ ...alice, eventsHref: '/events?ack=1' });
      assert.equal(saved.updatedAt, clock.now().toISOString());
      assert.deepEqual(await repo.get(alice.accountId), saved);

      clock.advance(1000);
      await repo.save({ ...alice, eventsHref: '/events?ack=2', status: 'reconnecting' });
      await repo.save({ accountId: 'bob@contoso.com', sip: 'sip:bob@contoso.com', status: 'authFailed' });
      assert.deepEqual((await repo.list()).map((s) => [s.accountId, s.status]), [
        ['alice@contoso.com', 'reconnecting'],
        ['bob@contoso.com', 'authFailed'],
      ]);

      await repo.delete(alice.accountId);
      assert.equal(await repo.get(alice.accountId), undefined);
      assert.equal((await repo.list()).length, 1);
    });

    it('caps lastError and keeps account addresses out of storage keys', async () => {
      const saved = await repo.save({ ...alice, status: 'reconnecting', lastError: 'x'.repeat(10_000) });
      assert.equal(saved.lastError?.length, MAX_LAST_ERROR_LENGTH);
      assert.deepEqual(await repo.get(alice.accountId), saved);
      for (const key of await storage.keysWithPrefix('')) assert.ok(!key.includes('alice'), key);
    });
  });
}
