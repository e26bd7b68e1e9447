// Property: whatever order concurrent storage operations interleave in, competing transitions out of 'pending'
// on one invitation produce exactly one winner, also with watcher updates racing them, with two SQLite
// connections (two bot instances) on one file, and with two BlobStorage instances on one Azurite container.
// fast-check's scheduler picks the interleaving.
import assert from 'node:assert/strict';
import type { StoreItems } from 'botbuilder';
import fc from 'fast-check';
import { BlobStorage } from '../../src/store/blob-storage';
import { type ApplyResult, InvitationRepository } from '../../src/store/invitation-repository';
import { MemoryStorage } from '../../src/store/memory-storage';
import { SqliteStorage } from '../../src/store/sqlite-storage';
import type { ClosableStorage, ScanStorage } from '../../src/store/storage';
import { sharedAzurite, uniqueContainerName } from './azurite';
import { HREF, TempDirs, upsertInput } from './helpers';

/** Each storage operation waits for the scheduler's turn, then runs whole: the scheduler decides the interleaving. */
class ScheduledStorage implements ScanStorage {
  constructor(
    private readonly inner: ScanStorage,
    private readonly s: fc.Scheduler,
    private readonly label: string,
  ) {}

  private turn(op: string): Promise<void> {
    return this.s.schedule(Promise.resolve(), `${this.label}.${op}`);
  }

  async read(keys: string[]): Promise<StoreItems> {
    await this.turn('read');
    return this.inner.read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    await this.turn('write');
    return this.inner.write(changes);
  }

  async delete(keys: string[]): Promise<void> {
    await this.turn('delete');
    return this.inner.delete(keys);
  }

  async keysWithPrefix(prefix: string): Promise<string[]> {
    await this.turn('keys');
    return this.inner.keysWithPrefix(prefix);
  }
}

type Op =
  | { type: 'click'; verb: 'accept' | 'decline'; instance: number }
  | { type: 'event'; subject: string; instance: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    type: fc.constant('click' as const),
    verb: fc.constantFrom<'accept' | 'decline'>('accept', 'decline'),
    instance: fc.nat(1),
  }),
  fc.record({ type: fc.constant('event' as const), subject: fc.string({ maxLength: 8 }), instance: fc.nat(1) }),
);

const scenarioArb = fc.tuple(
  fc.array(opArb, { maxLength: 5 }),
  fc.array(opArb.filter((o) => o.type === 'click'), { minLength: 2, maxLength: 4 }),
);

const setups: { name: string; numRuns: number; open(temp: TempDirs): Promise<ClosableStorage[]> | ClosableStorage[] }[] = [
  { name: 'one MemoryStorage', numRuns: 150, open: () => [new MemoryStorage()] },
  {
    name: 'two SqliteStorage connections on one file',
    numRuns: 150,
    open: (temp) => {
      const file = temp.dbPath();
      return [new SqliteStorage(file), new SqliteStorage(file)];
    },
  },
  {
    // Two bot instances sharing one Azure Blob container (Azurite): the multi-instance deployment.
    name: 'two BlobStorage instances on one Azurite container',
    numRuns: 60,
    open: async () => {
      const azurite = await sharedAzurite();
      const container = uniqueContainerName('race');
      return [new BlobStorage(azurite.containerClient(container)), new BlobStorage(azurite.containerClient(container))];
    },
  },
];

for (const setup of setups) {
  describe(`transition race property (${setup.name})`, () => {
    const temp = new TempDirs();
    let storages: ClosableStorage[];
    let run = 0;

    before(async () => {
      storages = await setup.open(temp);
    });
    after(async () => {
      for (const s of storages) await s.close();
      temp.cleanup();
    });

    it('any interleaving of concurrent transitions yields exactly one winner', async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), scenarioArb, async (s, [events, clicks]) => {
          // A fresh invitation per run, created outside the scheduler.
          const input = upsertInput({ invitationHref: `${HREF}/run-${run++}` });
          const { record } = await new InvitationRepository(storages[0]).upsertFromEvent(input);
          const repos = storages.map((st, i) => new InvitationRepository(new ScheduledStorage(st, s, `i${i}`)));
          const repoFor = (instance: number) => repos[instance % repos.length];

          const ops = [...events, ...clicks];
          const running: Promise<ApplyResult | undefined>[] = ops.map((op) =>
            op.type === 'click'
              ? repoFor(op.instance).apply(record.id, { kind: 'click', verb: op.verb })
              : repoFor(op.instance)
                  .upsertFromEvent({ ...input, subject: op.subject })
                  .then(() => undefined),
          );
          const outcomes = await s.waitFor(Promise.all(running));

          const results = outcomes.filter((r): r is ApplyResult => r !== undefined);
          const winners = results.filter((r) => r.ok);
          assert.equal(winners.length, 1, `winners: ${winners.length}\n${s.report().map((t) => t.label).join(' ')}`);
          const finalState = winners[0].record?.state;
          for (const loser of results.filter((r) => !r.ok)) {
            assert.ok(!loser.ok && loser.reason === 'refused', `loser reason ${!loser.ok && loser.reason}`);
            assert.notEqual(loser.record?.state, 'pending');
          }
          const stored = await new InvitationRepository(storages[storages.length - 1]).get(record.id);
          assert.equal(stored?.state, finalState);
        }),
        { numRuns: setup.numRuns },
      );
    });
  });
}
