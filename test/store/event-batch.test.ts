// persistEventBatch: one storage write per UCWA batch (records, notifications, session), so a crash before the
// ack re-delivers instead of losing, and re-delivery yields one record and one notification per invitation.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AccountSessionRepository } from '../../src/store/account-session-repository';
import { persistEventBatch } from '../../src/store/event-batch';
import { InvitationRepository } from '../../src/store/invitation-repository';
import { KEY_PREFIXES, storageKeys } from '../../src/store/keys';
import { NotificationQueue } from '../../src/store/notification-queue';
import { invitationIdFor } from '../../src/store/records';
import { SqliteStorage } from '../../src/store/sqlite-storage';
import type { ClosableStorage } from '../../src/store/storage';
import { ACCOUNT, HookedStorage, HREF, ManualClock, storageFactories, TempDirs, upsertInput } from './helpers';

const session = {
  accountId: ACCOUNT,
  sip: 'sip:alice@contoso.com',
  eventsHref: '/ucwa/oauth/v1/applications/101/events?ack=2',
  status: 'connected' as const,
};

for (const factory of storageFactories) {
  describe(`persistEventBatch on ${factory.name}`, () => {
    const temp = new TempDirs();
    before(() => factory.setUp?.());
    let storage: ClosableStorage;
    let clock: ManualClock;
    let invitations: InvitationRepository;
    let queue: NotificationQueue;

    beforeEach(() => {
      storage = factory.open(temp);
      clock = new ManualClock();
      invitations = new InvitationRepository(storage, { clock: clock.now });
      queue = new NotificationQueue(storage, { clock: clock.now });
    });
    afterEach(() => {
      sinon.restore();
      return storage.close();
    });
    after(() => temp.cleanup());

    it('writes notifications, then records, then the session, in a single write call', async () => {
      const write = sinon.spy(storage, 'write');
      const results = await persistEventBatch(
        storage,
        { invitations: [upsertInput(), upsertInput({ invitationHref: `${HREF}-2` })], session },
        { clock: clock.now },
      );
      assert.equal(write.callCount, 1);
      const id1 = invitationIdFor(ACCOUNT, HREF);
      const id2 = invitationIdFor(ACCOUNT, `${HREF}-2`);
      // In this order: a storage without transactions (Azure Blob) writes item by item and may stop part-way, and
      // every prefix of this order is harmless (see persistEventBatch).
      assert.deepEqual(Object.keys(write.firstCall.args[0]), [
        storageKeys.notification(id1),
        storageKeys.notification(id2),
        storageKeys.invitation(id1),
        storageKeys.invitation(id2),
        storageKeys.account(ACCOUNT),
      ]);
      assert.deepEqual(results.map((r) => [r.record.id, r.created, r.notification?.kind]), [
        [id1, true, 'post'],
        [id2, true, 'post'],
      ]);
      assert.equal((await new AccountSessionRepository(storage).get(ACCOUNT))?.eventsHref, session.eventsHref);
    });

    it('folds several events for one invitation in one batch into one stored change', async () => {
      const [result] = await persistEventBatch(
        storage,
        { invitations: [upsertInput(), upsertInput({ state: 'inLobby' }), upsertInput({ subject: 'Later' })] },
        { clock: clock.now },
      );
      assert.equal(result.record.version, 1);
      assert.equal(result.record.state, 'inLobby');
      assert.equal(result.record.subject, 'Later');
      assert.equal((await queue.pending()).length, 1);
    });

    it('a crash before the write leaves nothing; re-delivery then gives one record and one notification', async () => {
      const write = sinon.stub(storage, 'write').callThrough();
      write.onFirstCall().rejects(new Error('disk full'));
      await assert.rejects(persistEventBatch(storage, { invitations: [upsertInput()], session }), /disk full/);
      assert.deepEqual(await storage.keysWithPrefix(''), []);

      for (let i = 0; i < 3; i++) {
        await persistEventBatch(storage, { invitations: [upsertInput()], session }, { clock: clock.now });
      }
      assert.equal((await storage.keysWithPrefix(KEY_PREFIXES.invitation)).length, 1);
      const pending = await queue.pending();
      assert.equal(pending.length, 1);
      assert.equal(pending[0].kind, 'post');
    });

    it('a re-delivered batch writes nothing new and leaves a completed notification completed', async () => {
      const [first] = await persistEventBatch(storage, { invitations: [upsertInput()] }, { clock: clock.now });
      assert.ok(first.notification);
      await invitations.setTeamsActivity(first.record.id, 'act', 'conv');
      assert.ok(await queue.complete(first.record.id, first.notification.createdAt));
      const [again] = await persistEventBatch(storage, { invitations: [upsertInput()] }, { clock: clock.now });
      assert.equal(again.changed, false);
      assert.equal(again.notification, undefined);
      assert.deepEqual(await queue.pending(), []);
    });

    it("queues an 'update' once the card exists, and keeps a never-posted card a 'post'", async () => {
      const [posted] = await persistEventBatch(storage, { invitations: [upsertInput()] }, { clock: clock.now });
      await invitations.setTeamsActivity(posted.record.id, 'act', 'conv');
      await queue.complete(posted.record.id, posted.notification!.createdAt);
      const [updated] = await persistEventBatch(
        storage,
        { invitations: [upsertInput({ state: 'inLobby' })] },
        { clock: clock.now },
      );
      assert.equal(updated.notification?.kind, 'update');

      const other = upsertInput({ invitationHref: `${HREF}-x` });
      await persistEventBatch(storage, { invitations: [other] }, { clock: clock.now });
      const [still] = await persistEventBatch(
        storage,
        { invitations: [{ ...other, state: 'cancelledBySender' }] },
        { clock: clock.now },
      );
      assert.equal(still.notification?.kind, 'post');
    });

    it('re-reads and re-merges when a click lands between its read and write, keeping the click', async () => {
      const [{ record }] = await persistEventBatch(storage, { invitations: [upsertInput()] }, { clock: clock.now });
      const hooked = new HookedStorage(storage);
      hooked.beforeNextWrite(async () => {
        assert.ok((await invitations.apply(record.id, { kind: 'click', verb: 'accept' })).ok);
      });
      const [result] = await persistEventBatch(
        hooked,
        { invitations: [upsertInput({ subject: 'Updated', state: 'pending' })] },
        { clock: clock.now },
      );
      assert.equal(result.record.state, 'accepting');
      assert.equal(result.record.subject, 'Updated');
      assert.equal(hooked.writes, 2, 'the first batch write conflicted and was retried');
      assert.deepEqual(await invitations.get(record.id), result.record);
    });

    it('an empty batch writes nothing', async () => {
      const write = sinon.spy(storage, 'write');
      assert.deepEqual(await persistEventBatch(storage, { invitations: [] }), []);
      assert.equal(write.callCount, 0);
    });
  });
}

describe('persistEventBatch on SQLite: durable before the ack', () => {
  const temp = new TempDirs();
  after(() => temp.cleanup());

  it('a persisted batch is there after the process reopens the file', async () => {
    const file = temp.dbPath();
    const first = new SqliteStorage(file);
    await persistEventBatch(first, { invitations: [upsertInput()], session });
    await first.close();

    const second = new SqliteStorage(file);
    try {
      const id = invitationIdFor(ACCOUNT, HREF);
      assert.equal((await new InvitationRepository(second).get(id))?.subject, 'Quarterly review');
      assert.equal((await new NotificationQueue(second).pending())[0]?.invitationId, id);
      assert.equal((await new AccountSessionRepository(second).get(ACCOUNT))?.eventsHref, session.eventsHref);
    } finally {
      await second.close();
    }
  });
});
