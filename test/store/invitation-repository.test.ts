// InvitationRepository over each storage: event merges, eTag-guarded transitions, Teams ids, per-account listing.
import assert from 'node:assert/strict';
import { InvitationRepository } from '../../src/store/invitation-repository';
import { storageKeys } from '../../src/store/keys';
import type { ClosableStorage } from '../../src/store/storage';
import { ACCOUNT, HookedStorage, HREF, ManualClock, storageFactories, TempDirs, upsertInput } from './helpers';

for (const factory of storageFactories) {
  describe(`InvitationRepository on ${factory.name}`, () => {
    const temp = new TempDirs();
    before(() => factory.setUp?.());
    let storage: ClosableStorage;
    let hooked: HookedStorage;
    let clock: ManualClock;
    let repo: InvitationRepository;

    beforeEach(() => {
      storage = factory.open(temp);
      hooked = new HookedStorage(storage);
      clock = new ManualClock();
      repo = new InvitationRepository(hooked, { clock: clock.now });
    });
    afterEach(() => storage.close());
    after(() => temp.cleanup());

    async function created(overrides = {}) {
      const result = await repo.upsertFromEvent(upsertInput(overrides));
      assert.ok(result.created);
      return result.record;
    }

    describe('upsertFromEvent', () => {
      it('creates the record once; a re-delivery changes nothing and writes nothing', async () => {
        const record = await created();
        assert.deepEqual(await repo.get(record.id), record);
        const writes = hooked.writes;
        clock.advance(1000);
        const again = await repo.upsertFromEvent(upsertInput());
        assert.deepEqual(again, { record, created: false, changed: false });
        assert.equal(hooked.writes, writes);
        assert.deepEqual(await storage.keysWithPrefix(''), [storageKeys.invitation(record.id)]);
      });

      it('merges a later event: new fields taken, version bumped, receivedAt and id kept', async () => {
        const record = await created();
        clock.advance(5000);
        const { record: next, changed } = await repo.upsertFromEvent(
          upsertInput({ state: 'inLobby', subject: 'Renamed', receivedAt: '2030-01-01T00:00:00.000Z' }),
        );
        assert.ok(changed);
        assert.equal(next.state, 'inLobby');
        assert.equal(next.subject, 'Renamed');
        assert.equal(next.receivedAt, record.receivedAt);
        assert.equal(next.version, 2);
        assert.equal(next.updatedAt, clock.now().toISOString());
        assert.deepEqual(await repo.get(record.id), next);
      });

      it('never moves a terminal state back, and keeps the reason of the kept state', async () => {
        const record = await created();
        const declined = { code: 'Declined', message: 'by user' };
        await repo.upsertFromEvent(upsertInput({ state: 'declined', outcomeReason: declined }));
        for (const state of ['pending', 'inLobby', 'connected', 'accepting'] as const) {
          const { record: after } = await repo.upsertFromEvent(
            upsertInput({ state, outcomeReason: { code: 'Other' } }),
          );
          assert.equal(after.state, 'declined');
          assert.deepEqual(after.outcomeReason, declined);
        }
        // Another terminal outcome does not replace the first either.
        await repo.upsertFromEvent(upsertInput({ state: 'missed' }));
        assert.equal((await repo.get(record.id))?.state, 'declined');
      });

      it("lets an event refine the bot's own 'failed' into the real outcome", async () => {
        const record = await created();
        assert.ok((await repo.transition(record.id, ['pending'], 'failed')).ok);
        const reason = { code: 'Gone', subcode: 'CancelledBySender' };
        const { record: after } = await repo.upsertFromEvent(
          upsertInput({ state: 'cancelledBySender', outcomeReason: reason }),
        );
        assert.equal(after.state, 'cancelledBySender');
        assert.deepEqual(after.outcomeReason, reason);
      });

      it("does not undo a click: a re-delivered 'pending' leaves 'accepting'", async () => {
        const record = await created();
        assert.ok((await repo.transition(record.id, ['pending'], 'accepting')).ok);
        const { record: after } = await repo.upsertFromEvent(upsertInput({ state: 'pending', subject: 'New' }));
        assert.equal(after.state, 'accepting');
        assert.equal(after.subject, 'New');
      });

      it('keeps cached action hrefs, sender details and the Teams ids when a later event omits them', async () => {
        const record = await created({ actions: { accept: 'A', decline: 'D', acceptWithPhoneAudio: 'P' } });
        await repo.setTeamsActivity(record.id, 'activity-1', 'conversation-1');
        const { record: after } = await repo.upsertFromEvent(
          upsertInput({
            state: 'inLobby',
            actions: { decline: 'D2' },
            from: { name: 'Robert Smith' },
            availableModalities: [],
          }),
        );
        assert.deepEqual(after.actions, { accept: 'A', decline: 'D2', acceptWithPhoneAudio: 'P' });
        assert.deepEqual(after.from, { name: 'Robert Smith', uri: 'sip:bob@contoso.com', sourceNetwork: 'SameEnterprise' });
        assert.deepEqual(after.availableModalities, ['Messaging', 'Audio']);
        assert.equal(after.teamsActivityId, 'activity-1');
        assert.equal(after.conversationId, 'conversation-1');
      });
    });

    describe('transition', () => {
      it('moves the state with a patch, bumping the version', async () => {
        const record = await created();
        clock.advance(1000);
        const result = await repo.transition(record.id, ['pending'], 'declining', {
          outcomeReason: { message: 'busy' },
          subject: undefined,
        });
        assert.ok(result.ok);
        assert.equal(result.record.state, 'declining');
        assert.equal(result.record.version, record.version + 1);
        assert.equal(result.record.subject, record.subject, 'an undefined patch field erases nothing');
        assert.deepEqual(result.record.outcomeReason, { message: 'busy' });
        assert.deepEqual(await repo.get(record.id), result.record);
      });

      it('a second click loses and gets the current record', async () => {
        const record = await created();
        const first = await repo.transition(record.id, ['pending'], 'accepting');
        const second = await repo.transition(record.id, ['pending'], 'declining');
        assert.ok(first.ok);
        assert.deepEqual(second, { ok: false, reason: 'stateMismatch', record: first.record });
      });

      it('reports a missing record as notFound', async () => {
        assert.deepEqual(await repo.transition('nope', ['pending'], 'accepting'), {
          ok: false,
          reason: 'notFound',
          record: undefined,
        });
      });

      it('retries when an unrelated write lands between its read and write, keeping that write', async () => {
        const record = await created();
        const watcher = new InvitationRepository(storage, { clock: clock.now });
        hooked.beforeNextWrite(async () => {
          await watcher.upsertFromEvent(upsertInput({ subject: 'Changed meanwhile' }));
        });
        const result = await repo.transition(record.id, ['pending'], 'accepting');
        assert.ok(result.ok);
        assert.equal(result.record.subject, 'Changed meanwhile');
        assert.equal(result.record.version, 3);
      });

      it('loses when a competing transition lands between its read and write', async () => {
        const record = await created();
        const other = new InvitationRepository(storage, { clock: clock.now });
        hooked.beforeNextWrite(async () => {
          assert.ok((await other.transition(record.id, ['pending'], 'declining')).ok);
        });
        const result = await repo.transition(record.id, ['pending'], 'accepting');
        assert.equal(result.ok, false);
        assert.equal(result.record?.state, 'declining');
      });

      it('cannot patch identity fields, and rejects an unknown target state', async () => {
        const record = await created();
        const patch = { id: 'evil', accountId: 'mallory', invitationHref: 'https://evil' } as never;
        const result = await repo.transition(record.id, ['pending'], 'accepting', patch);
        assert.ok(result.ok);
        assert.equal(result.record.id, record.id);
        assert.equal(result.record.accountId, ACCOUNT);
        assert.equal(result.record.invitationHref, HREF);
        await assert.rejects(repo.transition(record.id, ['accepting'], 'bogus' as never), /not an invitation state/);
      });
    });

    it('setTeamsActivity stores the ids once and returns undefined for an unknown invitation', async () => {
      const record = await created();
      const updated = await repo.setTeamsActivity(record.id, 'act', 'conv');
      assert.equal(updated?.teamsActivityId, 'act');
      assert.equal(updated?.version, 2);
      const writes = hooked.writes;
      assert.deepEqual(await repo.setTeamsActivity(record.id, 'act', 'conv'), updated);
      assert.equal(hooked.writes, writes, 'setting the same ids again writes nothing');
      assert.equal(await repo.setTeamsActivity('unknown', 'act', 'conv'), undefined);
    });

    it("listOpenForAccount returns that account's non-terminal invitations, oldest first", async () => {
      const later = await created({ invitationHref: `${HREF}-b`, receivedAt: '2024-05-01T09:05:00.000Z' });
      const earlier = await created({ invitationHref: `${HREF}-a`, receivedAt: '2024-05-01T09:01:00.000Z' });
      await created({ invitationHref: `${HREF}-c`, state: 'missed' });
      await created({ accountId: 'bob@contoso.com' });
      assert.deepEqual(
        (await repo.listOpenForAccount(ACCOUNT)).map((r) => r.id),
        [earlier.id, later.id],
      );
      assert.deepEqual(await repo.listOpenForAccount('nobody@contoso.com'), []);
    });
  });
}
