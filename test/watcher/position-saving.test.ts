// Which event-channel positions the watcher stores: enough to resume after a restart, without a store write on
// every idle P-GET renewal.
import assert from 'node:assert/strict';
import { PositionSaving } from '../../src/watcher/account-watcher';

describe('PositionSaving', () => {
  const IDLE_MS = 900_000;

  it('saves the first position, then idle renewals only once the stored one is older than the idle interval', () => {
    const saving = new PositionSaving(IDLE_MS);
    saving.answered(false);
    assert.equal(saving.mustSave(0), true, 'the first position is always stored');
    const decisions: boolean[] = [];
    for (let t = 180_000; t <= 1_080_000; t += 180_000) {
      saving.answered(false);
      decisions.push(saving.mustSave(t));
    }
    // Renewals every 3 minutes: saved again at 15 minutes, not before, and the interval restarts there.
    assert.deepEqual(decisions, [false, false, false, false, true, false]);
  });

  it('saves at once after a batch that changed an invitation', () => {
    const saving = new PositionSaving(IDLE_MS);
    saving.answered(false);
    saving.mustSave(0);
    saving.answered(true);
    assert.equal(saving.mustSave(1_000), true);
    saving.answered(false);
    assert.equal(saving.mustSave(2_000), false, 'the change does not carry over to the next renewal');
  });

  it('saves at once a position reached through a resync or resume link (no batch)', () => {
    const saving = new PositionSaving(IDLE_MS);
    saving.answered(false);
    saving.mustSave(0);
    assert.equal(saving.mustSave(1_000), true);
  });
});
