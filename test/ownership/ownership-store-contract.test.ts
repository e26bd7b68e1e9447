// The ownership-store contract, run against memory, SQLite (two connections to one file) and Azure Blob (Azurite,
// two clients on one container, real blob leases). Expiry is driven by the stores' injected clock: no test waits
// for a lease to run out, and the blob lease (60 s on Azurite) is broken by a claimer, never waited for.
import assert from 'node:assert/strict';
import type { Ownership, OwnershipStore } from '../../src/ownership/ownership-store';
import { ownershipStoreFactories, type StorePair } from './stores';

const LEASE_MS = 30_000;

for (const factory of ownershipStoreFactories) {
  describe(`Ownership store contract: ${factory.name}`, () => {
    let now: number;
    let pair: StorePair;
    let a: OwnershipStore;
    let b: OwnershipStore;

    beforeEach(async () => {
      now = 1_800_000_000_000;
      pair = await factory.open(LEASE_MS, () => now);
      ({ a, b } = pair);
    });
    afterEach(() => pair.close());

    async function recordOf(partition: number): Promise<Ownership | undefined> {
      return (await b.list()).find((o) => o.partition === partition);
    }

    it('lists nothing before any claim, then the claimed partition with its owner and expiry', async () => {
      assert.deepEqual(await a.list(), []);
      const claimed = await a.claim(3, 'one', undefined);
      assert.ok(claimed);
      assert.equal(claimed.ownerId, 'one');
      assert.equal(claimed.expiresAt, now + LEASE_MS);
      const listed = await recordOf(3);
      assert.ok(listed);
      assert.equal(listed.ownerId, 'one');
      assert.equal(listed.expiresAt, now + LEASE_MS);
      assert.equal(listed.eTag, claimed.eTag);
    });

    it('lets exactly one of two instances claim a new partition', async () => {
      const results = await Promise.all([a.claim(0, 'one', undefined), b.claim(0, 'two', undefined)]);
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      assert.equal((await recordOf(0))?.ownerId, winners[0]!.ownerId);
    });

    it('lets exactly one of two instances claim the same listed record', async () => {
      const first = await a.claim(1, 'one', undefined);
      assert.ok(first);
      await a.release(first);
      const seen = await recordOf(1);
      const results = await Promise.all([a.claim(1, 'one', seen), b.claim(1, 'two', seen)]);
      assert.equal(results.filter((r) => r !== undefined).length, 1);
    });

    it('refuses a claim naming a stale eTag', async () => {
      const seen = await a.claim(2, 'one', undefined);
      assert.ok(seen);
      const renewed = await a.renew(seen);
      assert.ok(renewed);
      assert.equal(await b.claim(2, 'two', seen), undefined);
      assert.equal((await recordOf(2))?.ownerId, 'one');
    });

    it('renews a held lease for another lease time, with a new eTag', async () => {
      const held = await a.claim(4, 'one', undefined);
      assert.ok(held);
      now += 10_000;
      const renewed = await a.renew(held);
      assert.ok(renewed);
      assert.equal(renewed.expiresAt, now + LEASE_MS);
      assert.notEqual(renewed.eTag, held.eTag);
      assert.equal((await recordOf(4))?.expiresAt, now + LEASE_MS);
    });

    it('takes over a partition whose owner stopped renewing, and the old owner cannot renew after', async () => {
      const dead = await a.claim(5, 'one', undefined);
      assert.ok(dead);
      now += LEASE_MS + 1;
      const seen = await recordOf(5);
      assert.ok(seen && seen.expiresAt <= now, 'the record shows the lease has run out');
      // On Azure Blob the dead owner's blob lease is still active (60 s): the claim must break it.
      const taken = await b.claim(5, 'two', seen);
      assert.ok(taken);
      assert.equal((await recordOf(5))?.ownerId, 'two');
      assert.equal(await a.renew(dead), undefined, 'the woken owner learns it lost the partition');
      assert.equal((await recordOf(5))?.ownerId, 'two');
    });

    it('lets a live owner be stolen from (the balancer decides when), and the old owner loses it', async () => {
      const victim = await a.claim(6, 'one', undefined);
      assert.ok(victim);
      const stolen = await b.claim(6, 'two', await recordOf(6));
      assert.ok(stolen);
      assert.equal(await a.renew(victim), undefined);
      await a.release(victim); // harmless: it is not released
      assert.equal((await recordOf(6))?.ownerId, 'two');
      assert.ok(await b.renew(stolen));
    });

    it('releases a held partition so another instance can claim it at once', async () => {
      const held = await a.claim(7, 'one', undefined);
      assert.ok(held);
      await a.release(held);
      const seen = await recordOf(7);
      assert.ok(seen);
      assert.equal(seen.ownerId, '');
      assert.ok(await b.claim(7, 'two', seen));
      assert.equal((await recordOf(7))?.ownerId, 'two');
    });

    it('does not renew with another holder\'s lease id', async () => {
      const held = await a.claim(8, 'one', undefined);
      assert.ok(held);
      assert.equal(await b.renew({ ...held, ownerId: 'two', leaseId: '00000000-0000-4000-8000-000000000000' }), undefined);
      assert.equal((await recordOf(8))?.ownerId, 'one');
    });
  });
}
