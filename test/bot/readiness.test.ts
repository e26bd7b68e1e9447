// /readyz: not ready while starting or stopping, when the store does not answer, or when it refuses writes (proved
// by a small guarded write of the instance's own item, at most once per few seconds); Skype connections are reported.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { BotReadiness } from '../../bot/readiness';
import { KEY_PREFIXES, MemoryStorage, StoreWriteProbe } from '../../src/store';
import type { AccountStatusView } from '../../src/watcher';

describe('bot readiness (/readyz)', () => {
  const statuses = [{ state: 'connected' }, { state: 'reconnecting' }] as AccountStatusView[];
  const supervisor = { statuses: () => statuses };
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => (clock = sinon.useFakeTimers({ now: Date.parse('2025-03-03T09:00:00Z'), toFake: ['Date'] })));
  afterEach(() => clock.restore());

  /** A storage whose writes (or reads) can be made to fail as a read-only file or an unreachable account does. */
  function storage() {
    const s = new MemoryStorage();
    const state = { refuseWrites: false, refuseReads: false, writes: [] as string[] };
    const read = s.read.bind(s);
    const write = s.write.bind(s);
    s.read = async (keys) => {
      if (state.refuseReads) throw new Error('connect ECONNREFUSED https://acct.blob.core.windows.net?sig=secret');
      return read(keys);
    };
    s.write = async (changes) => {
      state.writes.push(...Object.keys(changes));
      if (state.refuseWrites) throw Object.assign(new Error('attempt to write a readonly database /srv/secret/bot.db'), { code: 'SQLITE_READONLY' });
      return write(changes);
    };
    return { s, state };
  }

  it('is ready only while running, and says how many Skype accounts are connected', async () => {
    const readiness = new BotReadiness(new StoreWriteProbe(new MemoryStorage(), { instance: 'host-1' }), supervisor);
    assert.deepEqual(await readiness.check(), { ready: false, checks: { watcher: 'starting; 1/2 connected' } });
    readiness.phase = 'running';
    assert.deepEqual(await readiness.check(), { ready: true, checks: { storage: 'ok', watcher: 'running; 1/2 connected' } });
    readiness.phase = 'stopping';
    assert.equal((await readiness.check()).ready, false);
  });

  it('a store that does not answer makes it unready, without the store error in the answer', async () => {
    const { s, state } = storage();
    state.refuseReads = true;
    const readiness = new BotReadiness(new StoreWriteProbe(s, { instance: 'host-1' }), supervisor);
    readiness.phase = 'running';
    const r = await readiness.check();
    assert.equal(r.ready, false);
    assert.equal(r.checks.storage, 'unreachable');
    assert.doesNotMatch(JSON.stringify(r), /secret|acct/);
  });

  it('a store that answers reads but refuses writes makes it unready (refusesWrites), and it recovers', async () => {
    const { s, state } = storage();
    state.refuseWrites = true;
    const readiness = new BotReadiness(new StoreWriteProbe(s, { instance: 'host-1' }), supervisor);
    readiness.phase = 'running';
    const r = await readiness.check();
    assert.deepEqual(r, { ready: false, checks: { storage: 'refusesWrites', watcher: 'running; 1/2 connected' } });
    assert.doesNotMatch(JSON.stringify(r), /secret|readonly/);
    state.refuseWrites = false;
    clock.tick(5_000);
    assert.equal((await readiness.check()).ready, true);
  });

  it('writes only its own item, and a burst of checks costs one write per few seconds', async () => {
    const { s, state } = storage();
    const probe = new StoreWriteProbe(s, { instance: 'web/1 (east)' });
    const results = await Promise.all(Array.from({ length: 50 }, () => probe.check()));
    assert.ok(results.every((r) => r === 'ok'));
    for (let i = 0; i < 20; i++) {
      clock.tick(200);
      await probe.check();
    }
    assert.deepEqual(state.writes, [`${KEY_PREFIXES.readiness}web_1__east_`], 'one write, to a key no repository uses');
    clock.tick(1_000);
    await probe.check();
    assert.equal(state.writes.length, 2, 'a new probe once the answer is older than the cache time');
    const keys = await s.keysWithPrefix('');
    assert.deepEqual(keys, ['sfb/readiness/web_1__east_'], 'the probe item is written over, not added to');
  });

  it('the write is guarded by the eTag it read: another writer in between still proves the store writes', async () => {
    const s = new MemoryStorage();
    const probe = new StoreWriteProbe(s, { instance: 'h' });
    assert.equal(await probe.check(), 'ok');
    const read = s.read.bind(s);
    s.read = async (keys) => {
      const items = await read(keys);
      await s.write({ 'sfb/readiness/h': { checkedAt: 'elsewhere', eTag: '*' } });
      return items;
    };
    clock.tick(5_000);
    assert.equal(await probe.check(), 'ok');
    assert.equal((await read(['sfb/readiness/h']))['sfb/readiness/h'].checkedAt, 'elsewhere', 'the guarded write lost the race, as it should');
  });
});
