// Several instances balancing one store's partitions, on fake timers: take-over of a dead instance within the lease
// plus one renewal interval, rebalancing when an instance joins (one steal per round), and never two instances that
// both believe they own a partition, at any moment.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Logger } from '../../src/logger';
import { MemoryOwnershipStore } from '../../src/ownership/memory-ownership-store';
import { planClaims } from '../../src/ownership/load-balancer';
import { PartitionMap } from '../../src/ownership/partition-map';
import { PartitionOwner } from '../../src/ownership/partition-owner';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
const PARTITIONS = 64;

function quietLogger(lines: string[] = []): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: (m, f) => void lines.push(`${m} ${String(f?.partition)}`),
    warn: (m, f) => void lines.push(`${m} ${String(f?.partition)}`),
    error: (m) => void lines.push(m),
    child: () => log,
  };
  return log;
}

describe('partition ownership across instances (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  let store: MemoryOwnershipStore;
  let owners: PartitionOwner[];

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_800_000_000_000, toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    store = new MemoryOwnershipStore({ leaseMs: LEASE_MS });
    owners = [];
  });
  afterEach(async () => {
    for (const o of owners) o.halt();
    clock.restore();
  });

  async function join(instanceId: string, lines?: string[]): Promise<PartitionOwner> {
    const owner = new PartitionOwner(store, { instanceId, partitions: new PartitionMap(PARTITIONS), leaseMs: LEASE_MS, renewMs: RENEW_MS, log: quietLogger(lines) });
    owners.push(owner);
    await owner.start();
    return owner;
  }

  /** Advances time second by second, checking that no partition is believed owned by two instances. */
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 1000) {
      await clock.tickAsync(1000);
      assertOwnedOnce();
    }
  }

  function assertOwnedOnce(): void {
    const seen = new Map<number, string>();
    for (const o of owners) {
      for (const p of o.ownedPartitions()) {
        assert.equal(seen.get(p), undefined, `partition ${p} owned by ${seen.get(p)} and ${o.instanceId} at ${Date.now()}`);
        seen.set(p, o.instanceId);
      }
    }
  }

  function counts(): number[] {
    return owners.map((o) => o.ownedPartitions().length);
  }

  it('a process restarted with the same INSTANCE_ID takes its partitions back at once, not after the lease', async () => {
    const crashed = await join('web-1');
    crashed.halt(); // killed: nothing released, its records stay live for another 30 s
    owners = [];
    const restarted = await join('web-1');
    assert.equal(restarted.ownedPartitions().length, PARTITIONS);
    const other = await join('web-2');
    await run(RENEW_MS);
    assert.equal(other.ownedPartitions().length, 0, 'another instance still waits for the live leases of web-1');
  });

  it('one instance alone claims every partition in its first round', async () => {
    const only = await join('one');
    assert.equal(only.ownedPartitions().length, PARTITIONS);
  });

  it('takes over a dead instance\'s partitions within the lease plus one renewal interval', async () => {
    const [a, b, c] = [await join('a'), await join('b'), await join('c')];
    await run(400_000);
    assert.deepEqual(counts().sort(), [21, 21, 22]);
    const orphaned = c.ownedPartitions();
    c.halt(); // kill -9: no release
    owners.pop();
    await run(LEASE_MS + RENEW_MS);
    for (const p of orphaned) assert.ok(a.owns(p) || b.owns(p), `partition ${p} taken over`);
    assert.equal(a.ownedPartitions().length + b.ownedPartitions().length, PARTITIONS);
  });

  it('rebalances when an instance joins, one steal per round, and never owns a partition twice', async () => {
    const a = await join('a');
    await run(RENEW_MS);
    const b = await join('b');
    assert.equal(b.ownedPartitions().length, 0, 'nothing free: the newcomer has to steal');
    await run(40 * RENEW_MS);
    assert.deepEqual(counts(), [32, 32]);
    await join('c');
    await run(40 * RENEW_MS);
    assert.ok(Math.max(...counts()) - Math.min(...counts()) <= 1, `balanced: ${counts().join('/')}`);
    assert.equal(counts().reduce((x, y) => x + y, 0), PARTITIONS);
    assert.ok(a.ownedPartitions().length >= 21);
  });

  it('gives partitions back at once when an instance stops cleanly', async () => {
    const a = await join('a');
    const b = await join('b');
    await run(400_000);
    owners.splice(owners.indexOf(b), 1);
    await b.stop();
    await run(RENEW_MS);
    assert.equal(a.ownedPartitions().length, PARTITIONS);
  });

  it('logs one line per lease change and tells listeners what was gained and lost', async () => {
    const lines: string[] = [];
    const a = await join('a', lines);
    const changes: { gained: number[]; lost: number[] }[] = [];
    a.onChange((c) => changes.push(c));
    await join('b');
    await run(RENEW_MS * 3);
    const lost = changes.flatMap((c) => c.lost);
    assert.ok(lost.length > 0);
    assert.equal(lines.filter((l) => l.startsWith('partition lease gained')).length, PARTITIONS);
    assert.deepEqual(lines.filter((l) => l.startsWith('partition lease lost')), lost.map((p) => `partition lease lost ${p}`));
  });

  it('a paused instance does not believe it owns anything once its lease ran out', async () => {
    const a = await join('a');
    a.halt(); // its timers stop, like SIGSTOP
    await clock.tickAsync(LEASE_MS);
    assert.deepEqual(a.ownedPartitions(), []);
    assert.equal(a.ownsAccount('someone'), false);
  });
});

describe('planClaims', () => {
  const now = 1000;
  const rec = (partition: number, ownerId: string) => ({ partition, ownerId, expiresAt: now + 5000, eTag: `${partition}`, leaseId: 'x' });

  it('claims free and expired partitions up to a fair share', () => {
    const records = [rec(0, 'b'), rec(1, 'b'), { ...rec(2, 'c'), expiresAt: now - 1 }];
    const claims = planClaims({ me: 'a', partitionCount: 4, records, now });
    assert.deepEqual(claims.map((c) => c.partition).sort(), [2, 3]);
    assert.ok(claims.every((c) => c.stolenUntil === undefined));
  });

  it('steals one partition from the most loaded owner, starting when its lease runs out', () => {
    const records = [rec(0, 'b'), rec(1, 'b'), rec(2, 'b'), rec(3, 'c')];
    const claims = planClaims({ me: 'a', partitionCount: 4, records, now });
    assert.equal(claims.length, 1);
    assert.ok([0, 1, 2].includes(claims[0].partition));
    assert.equal(claims[0].stolenUntil, now + 5000);
  });

  it('steals nothing when the spread is at most one', () => {
    const records = [rec(0, 'b'), rec(1, 'b'), rec(2, 'a')];
    assert.deepEqual(planClaims({ me: 'a', partitionCount: 3, records, now }), []);
  });
});
