// A provisional outcome is the bot's guess, and the pool's events overrule it. The case found in the field: a resync
// arrives while the user accepts a meeting; reconciliation asks the pool about the invitation, and a pool that drops
// completed invitations at once answers 404, so the record is failed provisionally. The re-delivered `completed`
// Success that follows (the user did join) must turn the card into "Joined", not leave "Failed".
import assert from 'node:assert/strict';
import type { InvitationRecord } from '../../src/store';
import type { Representation } from '../../src/ucwa/session';
import { ALICE, Gate, RecordingTransport, useRigs, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const isState = (state: InvitationRecord['state']) => (r: InvitationRecord) => r.state === state;

describe('watcher: a provisional outcome overruled by the pool', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  for (const representation of REPRESENTATIONS) {
    it(`accepted during a resync, with completed invitations answering 404: failed provisionally, then joined (${representation})`, async () => {
      const sim = await sims.start({ completedInvitations: 'removed' });
      // Holds reconciliation's read of the conversations so the accept lands while it runs.
      const reconciling = new Gate();
      const transport = new RecordingTransport();
      transport.hold = (r) => (r.method === 'GET' && r.url.pathname.endsWith('/communication/conversations') ? reconciling.wait() : undefined);
      const rig = rigs.make(sim, { transport });
      rig.start(ALICE, { representation });
      await rig.connected(ALICE);
      const simId = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', subject: 'joined during a resync' });
      const pending = await rig.record(simId, isState('pending'), 'pending');

      reconciling.closed = true;
      await rig.admin.parked(ALICE);
      await rig.admin.fault({ kind: 'resync', user: ALICE });
      await rig.admin.until(async () => reconciling.held, (held) => held === 1, 'reconciliation has started');
      assert.equal((await rig.sup.act(pending.id, 'accept')).kind, 'done');
      assert.equal((await rig.admin.invitation(simId)).state, 'connected', 'the pool connected the user');
      reconciling.open();

      const joined = await rig.record(simId, isState('connected'), 'the completed Success overrules the guess');
      const states = rig.changes.items.filter((c) => c.record.id === pending.id).map((c) => c.record.state);
      assert.deepEqual(states.slice(-2), ['failed', 'connected'], `reconciliation guessed first: ${states.join(' -> ')}`);
      assert.equal(joined.reason, 'reported');
      assert.equal(joined.provisional, undefined, 'final now');
      const stored = await rig.repositories.invitations.get(pending.id);
      assert.equal(stored?.state, 'connected');
      assert.ok(await rig.repositories.notifications.get(pending.id), 'the card is due for a redraw');
    });
  }
});
