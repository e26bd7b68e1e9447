// InvitationRepository over each storage: event merges, eTag-guarded transitions, Teams ids, per-account listing.
import assert from 'node:assert/strict';
import { InvitationRepository } from '../../src/store/invitation-repository';
import { storageKeys } from '../../src/store/keys';
import { NotificationQueue, QueueSignal } from '../../src/store/notification-queue';
import { invitationIdFor, type InvitationRecord } from '../../src/store/records';
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
        assert.deepEqual(again, { record, created: false, changed: false, redraw: false });
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

      it("lets an event overrule the bot's provisional 'failed' with the real outcome, joined included", async () => {
        const record = await created();
        assert.ok((await repo.apply(record.id, { kind: 'conversationGone' })).ok);
        assert.equal((await repo.get(record.id))?.provisional, true);
        const reason = { code: 'Gone', subcode: 'CancelledBySender' };
        const { record: after } = await repo.upsertFromEvent(
          upsertInput({ state: 'cancelledBySender', outcomeReason: reason }),
        );
        assert.equal(after.state, 'cancelledBySender');
        assert.deepEqual(after.outcomeReason, reason);
        assert.equal(after.provisional, undefined, 'final now');
      });

      it("does not undo a click: a re-delivered 'pending' leaves 'accepting'", async () => {
        const record = await created();
        assert.ok((await repo.apply(record.id, { kind: 'click', verb: 'accept' })).ok);
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

    describe('apply', () => {
      const notifications = () => new NotificationQueue(storage, { clock: clock.now });

      it('moves the record by the state machine and queues its card in the same write', async () => {
        const record = await created();
        await repo.setTeamsActivity(record.id, 'activity-1', 'conversation-1');
        clock.advance(1000);
        const writesBefore = hooked.writes;
        const result = await repo.apply(record.id, { kind: 'click', verb: 'decline' });
        assert.ok(result.ok && result.changed && result.redraw);
        assert.equal(result.record.state, 'declining');
        assert.equal(result.record.reason, 'clicked');
        assert.equal(result.record.version, record.version + 2);
        assert.equal(result.record.subject, record.subject);
        assert.deepEqual(await repo.get(record.id), result.record);
        assert.equal(hooked.writes, writesBefore + 1, 'record and notification in one write');
        assert.equal((await notifications().get(record.id))?.kind, 'update');
      });

      it('tells the queue signal once per write that queued a card, and not for an input that changes nothing', async () => {
        const signal = new QueueSignal();
        let heard = 0;
        signal.subscribe(() => heard++);
        const signalled = new InvitationRepository(storage, { clock: clock.now }, signal);
        const record = await created();
        await signalled.apply(record.id, { kind: 'click', verb: 'accept' });
        assert.equal(heard, 1);
        await signalled.apply(record.id, { kind: 'clickOutcome', outcome: 'ok' });
        assert.equal(heard, 1, 'ok leaves the record as it is');
      });

      it('a second click is refused and gets the current record', async () => {
        const record = await created();
        const first = await repo.apply(record.id, { kind: 'click', verb: 'accept' });
        const second = await repo.apply(record.id, { kind: 'click', verb: 'decline' });
        assert.ok(first.ok);
        assert.deepEqual(second, { ok: false, reason: 'refused', record: first.record });
      });

      it('reports a missing record as notFound', async () => {
        assert.deepEqual(await repo.apply('nope', { kind: 'click', verb: 'accept' }), {
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
        const result = await repo.apply(record.id, { kind: 'click', verb: 'accept' });
        assert.ok(result.ok);
        assert.equal(result.record.subject, 'Changed meanwhile');
        assert.equal(result.record.version, 3);
      });

      it('loses when a competing click lands between its read and write', async () => {
        const record = await created();
        const other = new InvitationRepository(storage, { clock: clock.now });
        hooked.beforeNextWrite(async () => {
          assert.ok((await other.apply(record.id, { kind: 'click', verb: 'decline' })).ok);
        });
        const result = await repo.apply(record.id, { kind: 'click', verb: 'accept' });
        assert.equal(result.ok, false);
        assert.equal(result.record?.state, 'declining');
      });

      it('a reopened click queues its card once', async () => {
        const record = await created();
        await repo.apply(record.id, { kind: 'click', verb: 'accept' });
        const queue = notifications();
        const before = await queue.get(record.id);
        const writesBefore = hooked.writes;
        const result = await repo.apply(record.id, { kind: 'recovered', finding: 'stillOffered', actions: { accept: 'A2' } });
        assert.ok(result.ok);
        assert.equal(result.record.state, 'pending');
        assert.equal(result.record.reason, 'reopened');
        assert.equal(result.record.actions.accept, 'A2');
        assert.equal(hooked.writes, writesBefore + 1);
        assert.notEqual((await queue.get(record.id))?.createdAt, before?.createdAt);
      });
    });

    describe('records stored before the state machine kept a reason', () => {
      /** A record as the earlier versions wrote it: the bot's own outcomes told apart by outcomeReason.code. */
      async function legacy(state: InvitationRecord['state'], outcomeReason?: InvitationRecord['outcomeReason']) {
        const stored = (await repo.get(invitationIdFor(ACCOUNT, HREF))) ?? (await created());
        const { reason: _reason, provisional: _provisional, ...fresh } = stored;
        await storage.write({ [storageKeys.invitation(fresh.id)]: { ...fresh, state, outcomeReason, eTag: '*' } });
        return fresh.id;
      }

      it('load with the reason the machine gives them today', async () => {
        const id = invitationIdFor(ACCOUNT, HREF);
        const cases: Array<[InvitationRecord['state'], InvitationRecord['outcomeReason'], string]> = [
          ['pending', undefined, 'pending/reported/-'],
          ['accepting', undefined, 'accepting/clicked/-'],
          ['cancelledBySender', { code: 'Failure', subcode: 'Canceled' }, 'cancelledBySender/reported/-'],
          ['failed', { code: 'ConnectionLost', message: 'The invitation ended while the Skype connection was interrupted.' }, 'failed/connectionLost/P'],
          ['failed', { code: '404', message: 'The invitation is no longer available.' }, 'ended/endedBeforeAnswer/P'],
          ['failed', { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' }, 'ended/endedBeforeAnswer/P'],
          ['failed', { code: '500', message: 'Server error' }, 'failed/actionRefused/P'],
          ['failed', { code: 'ServiceFailure', message: 'The pool failed.' }, 'failed/reported/-'],
          ['ended', { code: 'ConnectionLost', message: 'The Skype connection was restarted; this invitation can no longer be answered here.' }, 'ended/applicationReplaced/-'],
          ['ended', { code: 'ConnectionLost', message: 'The Skype connection was interrupted; this invitation can no longer be answered here.' }, 'ended/applicationLost/-'],
        ];
        for (const [state, outcomeReason, want] of cases) {
          assert.equal(await legacy(state, outcomeReason), id);
          const read = await repo.get(id);
          assert.equal(`${read?.state}/${read?.reason}/${read?.provisional ? 'P' : '-'}`, want, JSON.stringify(outcomeReason));
        }
      });

      it("an old provisional 'failed' is overruled by the event that says the user joined", async () => {
        const id = await legacy('failed', { code: 'ConnectionLost', message: 'lost' });
        const { record: after } = await repo.upsertFromEvent(upsertInput({ state: 'connected' }));
        assert.equal(after.id, id);
        assert.equal(after.state, 'connected');
        assert.deepEqual(await repo.get(id), after);
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
