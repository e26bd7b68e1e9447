// A store that refuses writes, seen by a user: the bot still answers in the chat, and `status` says that nothing can
// be saved and invitations will appear when storage works again; once writes work, the line is gone. The watcher
// and the notifier leave the reporting to StoreHealth (no warning per failed retry).
import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { StoreHealth } from '../../src/store';
import { ALEX, BotHarness, cardHas, cardOf, cardTexts, RecordingLogger, untilWatcher } from './helpers';

function only(sent: Array<Partial<Activity>>): Partial<Activity> {
  assert.equal(sent.length, 1, `one reply, got ${sent.length}`);
  return sent[0];
}

const STORE_LINE = 'The bot cannot save anything right now';

describe('InvitationBot with a store that refuses writes (TestAdapter)', function () {
  this.timeout(15_000);
  let h: BotHarness;
  const healthLog = new RecordingLogger();
  let refuse = false;

  before(async () => {
    h = await BotHarness.start({ storeHealth: new StoreHealth({ log: healthLog }) });
    const write = h.storage.write.bind(h.storage);
    h.storage.write = async (changes) => {
      if (refuse) throw Object.assign(new Error('attempt to write a readonly database'), { name: 'SqliteError', code: 'SQLITE_READONLY' });
      return write(changes);
    };
    await h.installAndConnect(ALEX);
  });
  after(() => h?.stop());

  it('status says so while writes fail, and no longer once they work', async () => {
    const before = cardOf(only(await h.say(ALEX, 'status')));
    assert.ok(!cardHas(before, STORE_LINE), cardTexts(before).join(' | '));

    refuse = true;
    const during = cardOf(only(await h.say(ALEX, 'status')));
    assert.ok(cardHas(during, STORE_LINE), cardTexts(during).join(' | '));
    assert.ok(cardHas(during, 'Invitations will appear here when its storage works again'));
    assert.ok(cardHas(during, 'Skype account alexw@example.com'), 'the rest of the card is still there');
    assert.doesNotMatch(JSON.stringify(during), /readonly|SQLITE/, 'no store error text on the card');

    refuse = false;
    const after = cardOf(only(await h.say(ALEX, 'status')));
    assert.ok(!cardHas(after, STORE_LINE), cardTexts(after).join(' | '));
    assert.equal(healthLog.entries.filter((e) => e.level === 'error').length, 1);
    assert.ok(healthLog.has('info', 'the store accepts writes again'));
  });

  it('an invitation that cannot be stored is retried quietly: the store failure is an error line, not a warning per retry', async () => {
    refuse = true;
    const errorsBefore = healthLog.entries.filter((e) => e.level === 'error').length;
    await h.admin.invite({ kind: 'messaging', subject: 'Cannot be stored' });
    await untilWatcher(h.supervisor, 'the watcher to retry the batch', () => (h.log.entries.some((e) => e.message === 'event channel retry') ? true : undefined));
    assert.ok(!h.log.entries.some((e) => e.level === 'warn' && e.message === 'event channel retry'), 'retries of a store failure are not warnings');
    assert.equal(healthLog.entries.filter((e) => e.level === 'error').length, errorsBefore + 1, 'one error line for the outage');
    refuse = false;
    const record = await h.recordWhere('the invitation once the store works', (r) => r.subject === 'Cannot be stored');
    assert.equal(record.state, 'pending', 'nothing was lost: the batch was fetched again and stored');
  });
});
