// A resume follows a server state reset: the pool closed the application's conversations and ended its ringing
// invitations without sending an event about them (the simulator does what the reference describes). The watcher
// learns it only from `resume`, so its reconciliation (InvitationBook.reconcile) must end those invitations' records
// rather than leave cards offering an Accept that can no longer work; other accounts and later invitations go on.
import assert from 'node:assert/strict';
import type { InvitationRecord } from '../../src/store';
import type { Representation } from '../../src/ucwa/session';
import { ALICE, BOB, useRigs, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const isState = (state: InvitationRecord['state']) => (r: InvitationRecord) => r.state === state;

describe('watcher: resume after a server state reset', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  for (const representation of REPRESENTATIONS) {
    it(`ends the records of the invitations the reset lost (ringing and in the lobby); others go on (${representation})`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim);
      rig.start(ALICE, { representation });
      rig.start(BOB, { representation });
      await rig.connected(ALICE);
      await rig.connected(BOB);
      const ringing = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', subject: 'ringing when the pool reset' });
      const lobby = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', lobby: true, subject: 'in the lobby when the pool reset' });
      const bobs = await rig.admin.invite({ to: BOB, kind: 'messaging', subject: 'another account' });
      const r = await rig.record(ringing, isState('pending'), 'pending');
      const l = await rig.record(lobby, isState('pending'), 'pending');
      const b = await rig.record(bobs, isState('pending'), 'pending');
      assert.equal((await rig.sup.act(l.id, 'accept')).kind, 'done');
      await rig.record(lobby, isState('inLobby'), 'in the lobby');

      const since = await rig.admin.lastSeq();
      await rig.admin.parked(ALICE);
      await rig.admin.fault({ kind: 'resume', user: ALICE });
      assert.equal((await rig.admin.invitation(ringing)).state, 'gone', 'the pool forgot the ringing invitation');
      assert.equal((await rig.admin.invitation(lobby)).state, 'gone', 'and the lobby');

      for (const [id, what] of [
        [ringing, 'the ringing invitation'],
        [lobby, 'the lobby invitation'],
      ] as const) {
        const ended = await rig.record(id, (x) => x.state !== 'pending' && x.state !== 'inLobby', `${what} ends`);
        assert.equal(ended.state, 'failed', `${what}: ${ended.state} ${JSON.stringify(ended.outcomeReason)}`);
        assert.equal(ended.reason, 'connectionLost');
        assert.equal(ended.provisional, true, 'an event may still overrule it');
      }
      const log = await rig.admin.requests({ since });
      assert.ok(log.some((x) => x.path.includes('/events') && x.status === 200), 'the resume answer was received');
      assert.ok(log.some((x) => x.path.includes('/communication/conversations')), 'reconciled against the active conversations');
      // The card no longer offers an action that cannot work.
      assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'alreadyHandled');
      assert.deepEqual(
        rig.changes.items.filter((c) => c.record.id === r.id).map((c) => c.record.state),
        ['pending', 'failed'],
      );

      // Bob's account was not reset: his invitation is still open and answerable.
      assert.equal((await rig.repositories.invitations.get(b.id))?.state, 'pending');
      assert.equal((await rig.sup.act(b.id, 'accept')).kind, 'done');
      await rig.record(bobs, isState('connected'), "Bob's invitation connects");

      // Alice's watcher listens on: a new invitation after the reset arrives and can be accepted.
      const fresh = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'after the reset' });
      const f = await rig.record(fresh, isState('pending'), 'the invitation after the reset');
      assert.equal((await rig.sup.act(f.id, 'accept')).kind, 'done');
      await rig.record(fresh, isState('connected'), 'connected after the reset');
      assert.deepEqual((await rig.admin.requests({ path: '/events' })).filter((x) => x.status === 409), [], 'no P-GET was ever replaced');
    });
  }
});
