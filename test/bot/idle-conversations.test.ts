// The idle leave's timer: once a minute every watched account is checked with the configured idle time.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { IdleConversationSweeper } from '../../bot/idle-conversations';
import { silentLogger } from '../../src/logger';
import type { ConversationActions } from '../../src/watcher';

describe('idle conversation sweeper', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers({ now: Date.parse('2026-01-01T10:00:00Z') })));
  afterEach(() => clock.restore());

  it('checks every account once a minute with the configured idle time, and not before', async () => {
    const calls: Array<[string, number, string]> = [];
    const conversations = { leaveIdle: async (accountId: string, idleMs: number, now: Date) => (calls.push([accountId, idleMs, now.toISOString()]), 1) } as unknown as ConversationActions;
    const sweeper = new IdleConversationSweeper(conversations, () => ['a@example.com', 'b@example.com'], 10 * 60_000, silentLogger);
    sweeper.start();
    await clock.tickAsync(59_999);
    assert.equal(calls.length, 0);
    await clock.tickAsync(1);
    assert.deepEqual(calls, [
      ['a@example.com', 600_000, '2026-01-01T10:01:00.000Z'],
      ['b@example.com', 600_000, '2026-01-01T10:01:00.000Z'],
    ]);
    sweeper.stop();
    await clock.tickAsync(120_000);
    assert.equal(calls.length, 2);
  });

  it('one account failing does not stop the others', async () => {
    const seen: string[] = [];
    const conversations = {
      leaveIdle: async (accountId: string) => {
        seen.push(accountId);
        if (accountId === 'a@example.com') throw new Error('store down');
        return 2;
      },
    } as unknown as ConversationActions;
    const sweeper = new IdleConversationSweeper(conversations, () => ['a@example.com', 'b@example.com'], 60_000, silentLogger);
    assert.equal(await sweeper.sweep(), 2);
    assert.deepEqual(seen, ['a@example.com', 'b@example.com']);
  });
});
