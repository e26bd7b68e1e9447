// /readyz: not ready while starting or stopping, or when the store does not answer; Skype connections are reported.
import assert from 'node:assert/strict';
import { BotReadiness } from '../../bot/readiness';
import { MemoryStorage } from '../../src/store';
import type { AccountStatusView } from '../../src/watcher';

describe('bot readiness (/readyz)', () => {
  const statuses = [{ state: 'connected' }, { state: 'reconnecting' }] as AccountStatusView[];
  const supervisor = { statuses: () => statuses };

  it('is ready only while running, and says how many Skype accounts are connected', async () => {
    const readiness = new BotReadiness(new MemoryStorage(), supervisor);
    assert.deepEqual(await readiness.check(), { ready: false, checks: { watcher: 'starting; 1/2 connected' } });
    readiness.phase = 'running';
    assert.deepEqual(await readiness.check(), { ready: true, checks: { storage: 'ok', watcher: 'running; 1/2 connected' } });
    readiness.phase = 'stopping';
    assert.equal((await readiness.check()).ready, false);
  });

  it('a store that does not answer makes it unready, without the store error in the answer', async () => {
    const storage = new MemoryStorage();
    storage.read = async () => {
      throw new Error('connect ECONNREFUSED https://acct.blob.core.windows.net?sig=secret');
    };
    const readiness = new BotReadiness(storage, supervisor);
    readiness.phase = 'running';
    const r = await readiness.check();
    assert.equal(r.ready, false);
    assert.equal(r.checks.storage, 'unreachable');
    assert.doesNotMatch(JSON.stringify(r), /secret|acct/);
  });
});
