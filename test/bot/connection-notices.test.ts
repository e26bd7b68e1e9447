// ConnectionNotices: the user hears once when their Skype account cannot be watched (sign-in refused, or the pool
// unreachable for a while) and once when it works again, through the real sender to a fake Bot Connector over HTTP.
// The watcher's status stream is the seam; time is sinon's fake clock.
import assert from 'node:assert/strict';
import type { ConversationReference } from 'botbuilder';
import sinon from 'sinon';
import { ConnectionNotices, ConnectionNoticesOptions } from '../../bot/connection-notices';
import { TeamsInstallations } from '../../bot/installations';
import { ProactiveSender } from '../../bot/proactive-sender';
import { MemoryStorage } from '../../src/store';
import type { AccountStatusView } from '../../src/watcher';
import { ALEX, idOf, BOT, FakeConnector, localCloudAdapter, RecordingLogger, TeamsUser } from './helpers';

class StatusStream {
  private listeners: Array<(s: AccountStatusView) => void> = [];
  onStatus(listener: (s: AccountStatusView) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }
  emit(state: AccountStatusView['state'], user: TeamsUser = ALEX): void {
    for (const l of this.listeners) l({ accountId: user.aadObjectId, sip: 'sip:alexw@example.com', state, modalities: [] });
  }
}

describe('ConnectionNotices: telling the user when their Skype connection is down, and back', function () {
  this.timeout(15_000);
  let connector: FakeConnector;
  let clock: sinon.SinonFakeTimers;
  let storage: MemoryStorage;
  let installations: TeamsInstallations;
  let stream: StatusStream;
  let log: RecordingLogger;

  before(async () => {
    connector = await FakeConnector.start();
  });
  after(() => connector?.stop());

  beforeEach(async () => {
    connector.reset();
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-03T09:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    storage = new MemoryStorage();
    installations = new TeamsInstallations(storage);
    stream = new StatusStream();
    log = new RecordingLogger();
    const reference: Partial<ConversationReference> = {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: 'a:personal-alex', conversationType: 'personal', isGroup: false, name: '' },
      bot: BOT,
      user: { id: ALEX.id, name: ALEX.name, aadObjectId: ALEX.aadObjectId },
    };
    await installations.saveReference(idOf(ALEX), reference);
  });
  afterEach(() => clock.restore());

  function notices(options: ConnectionNoticesOptions = {}): ConnectionNotices {
    // No app-wide budget wait: the fake clock does not move by itself.
    const sender = new ProactiveSender(localCloudAdapter(log), { appId: '', minIntervalMs: 0, globalPerSecond: Infinity }, log);
    const n = new ConnectionNotices(stream, installations, sender, log, options);
    n.start();
    return n;
  }
  const said = () => connector.posts().map((p) => String(p.body.text));

  it('a refused sign-in: one message naming the account, however often it is retried; one when it works again', async () => {
    const n = notices();
    stream.emit('connecting');
    stream.emit('authFailed');
    stream.emit('authFailed');
    stream.emit('authFailed');
    await n.idle();
    assert.equal(said().length, 1);
    assert.match(said()[0], /can no longer sign in to Skype for Business as sip:alexw@example\.com/);
    assert.match(said()[0], /password/);
    assert.equal((await installations.get(idOf(ALEX)))?.connectionNotice, 'authFailed');

    stream.emit('connected');
    stream.emit('connected');
    await n.idle();
    assert.equal(said().length, 2);
    assert.match(said()[1], /Connected to Skype for Business again/);
    assert.equal((await installations.get(idOf(ALEX)))?.connectionNotice, undefined);
    await n.stop();
  });

  it('an outage shorter than the wait says nothing; a longer one says so once, then that it is back', async () => {
    const n = notices({ unreachableAfterMs: 10 * 60_000 });
    stream.emit('connected');
    stream.emit('reconnecting');
    clock.tick(9 * 60_000);
    stream.emit('reconnecting');
    stream.emit('connected');
    clock.tick(60 * 60_000);
    await n.idle();
    assert.deepEqual(said(), [], 'a blip is not worth a message');

    stream.emit('reconnecting');
    clock.tick(5 * 60_000);
    stream.emit('reconnecting'); // retries do not restart the wait
    clock.tick(5 * 60_000);
    await n.idle();
    assert.equal(said().length, 1);
    assert.match(said()[0], /not been able to reach Skype for Business for 10 minutes/);
    clock.tick(60 * 60_000);
    stream.emit('reconnecting');
    await n.idle();
    assert.equal(said().length, 1, 'once per outage');

    stream.emit('connected');
    await n.idle();
    assert.match(said()[1], /again/);
    await n.stop();
  });

  it('a restart in the middle of an outage does not repeat the message; the recovery is still announced', async () => {
    const first = notices();
    stream.emit('authFailed');
    await first.idle();
    await first.stop();
    assert.equal(said().length, 1);

    stream = new StatusStream();
    const second = notices();
    stream.emit('connecting');
    stream.emit('authFailed');
    await second.idle();
    assert.equal(said().length, 1, 'the user was told before the restart');
    stream.emit('connected');
    await second.idle();
    assert.equal(said().length, 2);
    assert.match(said()[1], /again/);
    await second.stop();
  });

  it('oauth mode leaves a refused sign-in to the sign-in card, but still reports an unreachable pool', async () => {
    const n = notices({ authFailedHandledElsewhere: true, unreachableAfterMs: 60_000 });
    stream.emit('authFailed');
    await n.idle();
    assert.deepEqual(said(), []);
    stream.emit('reconnecting');
    clock.tick(60_000);
    await n.idle();
    assert.equal(said().length, 1);
    assert.match(said()[0], /reach Skype for Business for 1 minute,/);
    await n.stop();
  });

  it('nothing for a user who disconnected or removed the bot; stop() cancels a pending wait', async () => {
    await installations.update(idOf(ALEX), { paused: true });
    const n = notices({ unreachableAfterMs: 60_000 });
    stream.emit('authFailed');
    await n.idle();
    await installations.update(idOf(ALEX), { paused: false, active: false });
    stream.emit('reconnecting');
    clock.tick(60_000);
    await n.idle();
    assert.deepEqual(said(), []);

    await installations.update(idOf(ALEX), { active: true });
    stream.emit('connected');
    stream.emit('reconnecting');
    await n.stop();
    clock.tick(60_000);
    await n.idle();
    assert.deepEqual(said(), [], 'stopped: the wait was cancelled');
  });

  it('a failed send is logged, not thrown, and tried again at the next failure status', async () => {
    const n = notices();
    connector.respondNext('post', { status: 400, body: { error: { code: 'BadArgument', message: 'no' } } });
    stream.emit('authFailed');
    await n.idle();
    assert.ok(log.has('warn', 'could not tell the user about their Skype connection'));
    assert.equal((await installations.get(idOf(ALEX)))?.connectionNotice, undefined, 'not marked as told');
    stream.emit('authFailed');
    await n.idle();
    assert.equal(said().length, 1);
    await n.stop();
  });
});
