// Invitations end to end through the supervisor against the simulator over real HTTP, in JSON and XML: the three
// kinds with every typed field, accept, the lobby (admit, deny), decline (reason Local), cancel, missed, answered
// elsewhere, a late accept under each server behaviour, audio/video with and without a phone number, double clicks.
import assert from 'node:assert/strict';
import type { InvitationRecord } from '../../src/store';
import type { Representation } from '../../src/ucwa/session';
import { ALICE, BOB, DAVE, Gate, useRigs, useSimulators, WatcherRig } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const MESSAGE = 'Join us: 1+1=2, 100% sure & <b>not</b> html; café ☕\nsecond line';

describe('watcher: invitations end to end', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  async function ready(upn = ALICE, representation: Representation = 'json', options: Parameters<typeof sims.start>[0] = {}, extra: { phoneNumber?: string } = {}): Promise<WatcherRig> {
    const sim = await sims.start(options);
    const rig = rigs.make(sim);
    rig.start(upn, { representation, ...extra });
    await rig.connected(upn);
    return rig;
  }

  const isState = (state: InvitationRecord['state']) => (r: InvitationRecord) => r.state === state;

  for (const representation of REPRESENTATIONS) {
    describe(`(${representation})`, () => {
      it('an online meeting invitation: every field typed, accept -> connected', async () => {
        const rig = await ready(ALICE, representation);
        const id = await rig.admin.invite({
          to: ALICE,
          kind: 'onlineMeeting',
          subject: 'Quarterly review <Q3> & budget',
          importance: 'Urgent',
          from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com', sourceNetwork: 'Federated' },
          onBehalfOf: { name: 'Lynne Robbins', uri: 'sip:lynner@example.com' },
          message: MESSAGE,
          onlineMeetingUri: 'sip:meganb@example.com;gruu;opaque=app:conf:focus:id:ABC123',
          availableModalities: ['Messaging', 'Audio', 'ApplicationSharing'],
        });
        const started = await rig.record(id, isState('pending'), 'the pending record');
        assert.equal(started.kind, 'onlineMeeting');
        assert.equal(started.subject, 'Quarterly review <Q3> & budget');
        assert.equal(started.importance, 'Urgent');
        assert.deepEqual(started.from, { name: 'Megan Bowen', uri: 'sip:meganb@example.com', sourceNetwork: 'Federated' });
        assert.deepEqual(started.onBehalfOf, { name: 'Lynne Robbins', uri: 'sip:lynner@example.com' });
        assert.equal(started.message, MESSAGE, 'decoded exactly (+ is a space only when encoded so; the trailing CR/LF dropped)');
        assert.equal(started.onlineMeetingUri, 'sip:meganb@example.com;gruu;opaque=app:conf:focus:id:ABC123');
        assert.deepEqual(started.availableModalities, ['Messaging', 'Audio', 'ApplicationSharing']);
        assert.ok(started.threadId);
        assert.ok(started.actions.accept && started.actions.decline, 'actions cached from the started event');

        const result = await rig.sup.act(started.id, 'accept');
        assert.equal(result.kind, 'done');
        const connected = await rig.record(id, isState('connected'), 'connected');
        assert.equal(connected.subject, started.subject, 'later events keep the facts');
        assert.deepEqual(connected.actions, started.actions, 'the cached actions survive events that omit them');
        const sim = await rig.admin.invitation(id);
        assert.equal(sim.clientAction, 'accept');
        assert.equal(sim.state, 'connected');
        // One invitation, one record, one pending notification.
        const open = await rig.repositories.invitations.listOpenForAccount(ALICE);
        assert.equal(open.length, 1);
      });

      it('an IM invitation with a base64 first message, and an audio/video invitation without a phone number', async () => {
        const rig = await ready(ALICE, representation);
        const im = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'Quick question', message: 'a+b %2b c', messageEncoding: 'base64', importance: 'Emergency', from: { name: 'Bob', uri: 'sip:bob@fabrikam.com', sourceNetwork: 'PublicCloud' } });
        const imRecord = await rig.record(im, isState('pending'), 'the IM record');
        assert.equal(imRecord.kind, 'messaging');
        assert.equal(imRecord.message, 'a+b %2b c');
        assert.equal(imRecord.importance, 'Emergency');
        assert.deepEqual(imRecord.from, { name: 'Bob', uri: 'sip:bob@fabrikam.com', sourceNetwork: 'PublicCloud' });
        assert.equal((await rig.sup.act(imRecord.id, 'accept')).kind, 'done');
        await rig.record(im, isState('connected'), 'IM connected');

        const call = await rig.admin.invite({ to: ALICE, kind: 'audioVideo', subject: 'Call' });
        const callRecord = await rig.record(call, isState('pending'), 'the call record');
        assert.equal(callRecord.kind, 'audioVideo');
        assert.equal(callRecord.actions.accept, undefined, 'no plain accept for a call');
        assert.ok(callRecord.actions.acceptWithPhoneAudio);
        const refused = await rig.sup.act(callRecord.id, 'accept');
        assert.equal(refused.kind, 'notOffered', 'no phone number: accepting is not offered');
        assert.equal((await rig.repositories.invitations.get(callRecord.id))!.state, 'pending', 'the record is back to pending');
        assert.equal((await rig.admin.invitation(call)).actions.length, 0, 'nothing reached the pool');
        // Declining a call is possible.
        assert.equal((await rig.sup.act(callRecord.id, 'decline')).kind, 'done');
        await rig.record(call, isState('declined'), 'call declined');
      });

      it('the lobby: accept -> inLobby -> admitted -> connected; and denied', async () => {
        const rig = await ready(ALICE, representation);
        const admitted = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', lobby: true, subject: 'Town hall' });
        const denied = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', lobby: true, subject: 'Board meeting' });
        for (const id of [admitted, denied]) {
          const r = await rig.record(id, isState('pending'), 'pending');
          assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'done');
          await rig.record(id, isState('inLobby'), 'waiting in the lobby');
        }
        await rig.admin.move(admitted, 'admit');
        await rig.admin.move(denied, 'deny');
        await rig.record(admitted, isState('connected'), 'admitted');
        const d = await rig.record(denied, isState('denied'), 'denied');
        assert.equal(d.outcomeReason?.subcode, 'Denied');
      });

      it('decline sends reason Local and ends declined; cancel, missed and answered elsewhere end as such', async () => {
        const rig = await ready(ALICE, representation);
        const declined = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
        const cancelled = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting' });
        const missed = await rig.admin.invite({ to: ALICE, kind: 'messaging', answerWindowSeconds: 60 });
        const elsewhere = await rig.admin.invite({ to: ALICE, kind: 'audioVideo' });
        const d = await rig.record(declined, isState('pending'), 'pending');
        assert.equal((await rig.sup.act(d.id, 'decline')).kind, 'done');
        await rig.record(cancelled, isState('pending'), 'pending');
        await rig.admin.move(cancelled, 'cancel');
        await rig.record(elsewhere, isState('pending'), 'pending');
        await rig.admin.move(elsewhere, 'answer-elsewhere');

        const dr = await rig.record(declined, isState('declined'), 'declined');
        assert.equal(dr.outcomeReason?.subcode, 'Declined');
        assert.equal((await rig.admin.invitation(declined)).declineReason, 'Local');
        assert.equal((await rig.record(cancelled, isState('cancelledBySender'), 'cancelled')).outcomeReason?.subcode, 'Canceled');
        assert.equal((await rig.record(missed, isState('missed'), 'missed (answer window)')).outcomeReason?.subcode, 'Missed');
        assert.equal((await rig.record(elsewhere, isState('answeredElsewhere'), 'answered elsewhere')).outcomeReason?.subcode, 'ConnectedElsewhere');
      });
    });
  }

  it('audio/video with a phone number: accepted through acceptWithPhoneAudio', async () => {
    const rig = await ready(ALICE, 'json', {}, { phoneNumber: 'tel:+14255550100' });
    assert.deepEqual(rig.sup.status(ALICE)?.modalities, ['Messaging', 'Audio', 'PhoneAudio']);
    const call = await rig.admin.invite({ to: ALICE, kind: 'audioVideo', subject: 'Call me' });
    const r = await rig.record(call, isState('pending'), 'pending');
    assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'done');
    await rig.record(call, isState('connected'), 'connected');
    const sim = await rig.admin.invitation(call);
    assert.deepEqual(sim.actions.map((a) => [a.action, a.status]), [['acceptWithPhoneAudio', 204]]);
  });

  it('two clicks at once: exactly one accept reaches the pool, the other is alreadyHandled', async () => {
    const rig = await ready();
    const id = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting' });
    const r = await rig.record(id, isState('pending'), 'pending');
    const results = await Promise.all([rig.sup.act(r.id, 'accept'), rig.sup.act(r.id, 'accept'), rig.sup.act(r.id, 'decline')]);
    assert.deepEqual(results.map((x) => x.kind).sort(), ['alreadyHandled', 'alreadyHandled', 'done']);
    await rig.record(id, (x) => x.state === 'connected' || x.state === 'declined', 'the one action took effect');
    const sim = await rig.admin.invitation(id);
    assert.equal(sim.actions.length, 1, `actions at the pool: ${JSON.stringify(sim.actions)}`);
    // Later clicks on a finished invitation do not reach the pool either.
    assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'alreadyHandled');
    assert.equal((await rig.admin.invitation(id)).actions.length, 1);
    assert.deepEqual(await rig.sup.act('not-an-id', 'accept'), { kind: 'notFound' });
  });

  for (const lateActionBehaviour of ['notFound', 'conflict', 'acceptedThenFailed'] as const) {
    it(`a late accept (the caller cancelled before the click reached the pool): ${lateActionBehaviour}`, async () => {
      const rig = await ready(ALICE, 'json', { lateActionBehaviour });
      const id = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', subject: 'Too late' });
      const r = await rig.record(id, isState('pending'), 'pending');
      // Hold the event channel's answers back, so the cancel reaches the pool but not yet the bot.
      const gate = new Gate();
      gate.closed = true;
      rig.transport.hold = (req) => (req.url.pathname.endsWith('/events') ? gate.wait() : undefined);
      // Whether the parked P-GET takes the cancel (and is held) or the next one will, the bot does not learn of it yet.
      await rig.admin.move(id, 'cancel');
      const result = await rig.sup.act(r.id, 'accept');
      const expected = lateActionBehaviour === 'acceptedThenFailed' ? 'done' : 'unavailable';
      assert.equal(result.kind, expected, JSON.stringify(result));
      const sim = await rig.admin.invitation(id);
      assert.deepEqual(sim.actions.map((a) => a.status), [lateActionBehaviour === 'notFound' ? 404 : lateActionBehaviour === 'conflict' ? 409 : 204]);
      gate.open();
      // The events say how it really ended; a refused late accept does not hide that.
      const final = await rig.record(id, isState('cancelledBySender'), 'the real outcome');
      assert.equal(final.outcomeReason?.subcode, 'Canceled');
      assert.equal(rig.sup.status(ALICE)?.state, 'connected');
      // Still watching: the next invitation arrives.
      const next = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
      await rig.record(next, isState('pending'), 'the next invitation');
    });
  }

  it('a user homed in the second pool (reached by a redirect): invitations arrive and accept goes to that pool', async () => {
    const sim = await sims.start({ secondaryPool: true });
    const rig = rigs.make(sim);
    rig.start(DAVE, { representation: 'xml' });
    await rig.connected(DAVE);
    const id = await rig.admin.invite({ to: DAVE, kind: 'onlineMeeting', subject: 'second pool' });
    const r = await rig.record(id, isState('pending'), 'pending');
    assert.ok(r.invitationHref.startsWith(sim.secondaryOrigin!));
    assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'done');
    await rig.record(id, isState('connected'), 'connected');
    const accepts = (await rig.admin.requests({ path: '/accept' })).map((x) => [x.pool, x.status]);
    assert.deepEqual(accepts, [['secondary', 204]]);
  });

  it('several accounts at once: each sees only its own invitations', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    rig.start(ALICE);
    rig.start(BOB, { representation: 'xml' });
    await rig.connected(ALICE);
    await rig.connected(BOB);
    const a = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'for alice' });
    const b = await rig.admin.invite({ to: BOB, kind: 'messaging', subject: 'for bob' });
    assert.equal((await rig.record(a, isState('pending'), 'alice')).accountId, ALICE);
    assert.equal((await rig.record(b, isState('pending'), 'bob')).accountId, BOB);
    assert.deepEqual(
      rig.sup.statuses().map((s) => [s.accountId, s.state]).sort(),
      [
        [ALICE, 'connected'],
        [BOB, 'connected'],
      ],
    );
  });
});
