// CardNotifier + ProactiveSender against a fake Bot Connector over real HTTP, with the CloudAdapter that
// bot/adapter.ts builds for a local bot (no app id). Time is sinon's fake clock: waits (spacing, Retry-After,
// backoff) are checked by the fake timestamps the connector saw, never by wall time.
import assert from 'node:assert/strict';
import type { ConversationReference } from 'botbuilder';
import sinon from 'sinon';
import { createBotCards, invitationSummary } from '../../bot/bot-cards';
import { CardNotifier } from '../../bot/card-notifier';
import { TeamsInstallations } from '../../bot/installations';
import { ProactiveSender, SenderOptions } from '../../bot/proactive-sender';
import { createRepositories, InvitationRecord, InvitationState, InvitationUpsert, MemoryStorage, Repositories } from '../../src/store';
import { ALEX, idOf, BOT, cardHas, cardOf, ConnectorRequest, FakeConnector, localCloudAdapter, MEGAN, RecordingLogger, TeamsUser } from './helpers';

const START = Date.parse('2025-03-03T09:00:00.000Z');

/**
 * Runs `work` to completion under the fake clock: lets real I/O (HTTP to the connector) happen, and whenever a fake
 * timer is pending jumps the clock to it. Waits therefore take no real time, and what they waited for is visible in
 * the fake timestamps.
 */
async function settle<T>(clock: sinon.SinonFakeTimers, work: Promise<T>): Promise<T> {
  let done = false;
  const observed = work.finally(() => (done = true));
  observed.catch(() => undefined);
  for (let i = 0; !done; i++) {
    if (i > 20_000) throw new Error('settle: the work did not finish');
    await new Promise<void>((r) => setImmediate(r));
    if (!done && clock.countTimers() > 0) clock.next();
  }
  return observed;
}

interface World {
  storage: MemoryStorage;
  connector: FakeConnector;
  repositories: Repositories;
  installations: TeamsInstallations;
  sender: ProactiveSender;
  notifier: CardNotifier;
  log: RecordingLogger;
}

let seq = 0;
function upsert(user: TeamsUser, state: InvitationState, subject: string, href: string): InvitationUpsert {
  return {
    accountId: user.aadObjectId,
    kind: 'messaging',
    subject,
    importance: 'Normal',
    from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com', sourceNetwork: 'SameEnterprise' },
    availableModalities: ['Messaging'],
    receivedAt: new Date().toISOString(),
    state,
    actions: state === 'pending' ? { accept: `${href}/accept`, decline: `${href}/decline` } : {},
    invitationHref: href,
  };
}

describe('CardNotifier + ProactiveSender (fake connector, fake clock)', function () {
  this.timeout(15_000);
  let connector: FakeConnector;
  let clock: sinon.SinonFakeTimers;
  let w: World;

  before(async () => {
    connector = await FakeConnector.start();
  });
  after(() => connector?.stop());

  beforeEach(() => {
    connector.reset();
    clock = sinon.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  function world(options: Partial<SenderOptions> = {}): World {
    const storage = new MemoryStorage();
    const repositories = createRepositories(storage);
    const installations = new TeamsInstallations(storage);
    const log = new RecordingLogger();
    const sender = new ProactiveSender(localCloudAdapter(log), { appId: '', minIntervalMs: 200, random: () => 0.5, ...options }, log);
    const cards = createBotCards({ authMode: 'password' });
    const notifier = new CardNotifier({ repositories, installations, sender, renderCard: (r, view) => cards.invitation(r, view), summary: invitationSummary, log });
    return { storage, connector, repositories, installations, sender, notifier, log };
  }

  const reference = (user: TeamsUser): Partial<ConversationReference> => ({
    channelId: 'msteams',
    serviceUrl: connector.url,
    conversation: { id: `a:personal-${user.aadObjectId}`, conversationType: 'personal', isGroup: false, name: '' },
    bot: BOT,
    user: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
  });

  async function installed(user: TeamsUser = ALEX): Promise<void> {
    await w.installations.saveReference(idOf(user), reference(user));
  }

  /** Stores an invitation as the watcher would (record + pending notification); returns the record. */
  async function invitation(subject: string, user: TeamsUser = ALEX, state: InvitationState = 'pending'): Promise<InvitationRecord> {
    const href = `https://pool.example.com/ucwa/oauth/v1/applications/1/communication/messagingInvitations/${++seq}`;
    const [persisted] = await w.repositories.persistEventBatch({ invitations: [upsert(user, state, subject, href)] });
    return persisted.record;
  }

  /** The invitation moves on (as a later event would do): the record changes and an update is queued. */
  async function moveOn(record: InvitationRecord, state: InvitationState): Promise<void> {
    await w.repositories.persistEventBatch({ invitations: [upsert(ALEX, state, record.subject!, record.invitationHref)] });
  }

  const drain = () => settle(clock, w.notifier.kick());
  const gaps = (reqs: ConnectorRequest[]) => reqs.slice(1).map((r, i) => r.at - reqs[i].at);

  it('posts one card per invitation, then updates that same activity', async () => {
    w = world();
    await installed();
    const record = await invitation('Quarterly numbers');
    await drain();
    const posts = connector.posts();
    assert.equal(posts.length, 1);
    assert.equal(posts[0].conversationId, `a:personal-${ALEX.aadObjectId}`);
    assert.ok(cardHas(cardOf(posts[0].body), 'Quarterly numbers'));
    assert.equal(posts[0].body.summary, 'Skype IM from Megan Bowen: Quarterly numbers', 'the notification feed line');
    const stored = await w.repositories.invitations.get(record.id);
    assert.equal(stored?.teamsActivityId, posts[0].id, 'the activity id is stored on the record');
    assert.equal(stored?.conversationId, `a:personal-${ALEX.aadObjectId}`);
    assert.deepEqual(await w.repositories.notifications.pending(), []);

    await moveOn(record, 'connected');
    await drain();
    await moveOn(record, 'failed');
    await drain();
    const updates = connector.updates();
    assert.equal(updates.length, 2);
    assert.ok(updates.every((u) => u.activityId === posts[0].id), 'every update targets the one card');
    assert.ok(cardHas(cardOf(updates[0].body), 'Accepted'));
    assert.equal(connector.posts().length, 1, 'still one card');

    await drain();
    assert.equal(connector.requests.length, 3, 'nothing pending, nothing sent');
  });

  it("shows times in the user's own time zone (as Teams last reported it), in UTC when unknown", async () => {
    w = world();
    await w.installations.saveReference(idOf(ALEX), reference(ALEX), { timeZone: 'Asia/Kolkata' });
    await w.installations.saveReference(idOf(MEGAN), reference(MEGAN));
    await invitation('In Alex zone');
    await invitation('In Megan zone', MEGAN);
    await drain();
    const card = (subject: string) => cardOf(connector.posts().find((p) => cardHas(cardOf(p.body), subject))!.body);
    // Received at 09:00 UTC: 14:30 in India.
    assert.ok(cardHas(card('In Alex zone'), '14:30'), 'Alex sees his local time');
    assert.ok(!cardHas(card('In Alex zone'), '09:00'));
    assert.ok(cardHas(card('In Megan zone'), '09:00 UTC'), 'no zone known: UTC, and it says so');
  });

  it('429 with Retry-After: waits as long as Teams asks, then delivers', async () => {
    w = world();
    await installed();
    const record = await invitation('Throttled');
    connector.respondNext('post', { status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } }, 5);
    await drain();
    const reqs = connector.requests;
    assert.deepEqual(reqs.map((r) => r.status), [429, 429, 429, 429, 429, 201]);
    for (const gap of gaps(reqs)) assert.ok(gap >= 7_000, `a retry came ${gap} ms after a 429 with Retry-After: 7`);
    assert.equal((await w.repositories.invitations.get(record.id))?.teamsActivityId, reqs[5].id);
    // The sender is the one retry layer: each request is one of its attempts (the SDK's pipeline does not retry too).
    assert.equal(w.log.entries.filter((l) => l.message === 'Teams send failed; retrying').length, 5);
    assert.deepEqual(await w.repositories.notifications.pending(), []);
  });

  it("429 for one user's conversation holds back only that conversation: another user's card goes out meanwhile", async () => {
    w = world();
    await installed(ALEX);
    await installed(MEGAN);
    await invitation('For Alex, throttled', ALEX);
    await invitation('For Megan', MEGAN);
    const alexChat = `a:personal-${ALEX.aadObjectId}`;
    connector.respondNext('post', { status: 429, headers: { 'Retry-After': '30' }, conversationId: alexChat }, 2);
    await drain();
    const [throttled] = connector.requests.filter((r) => r.status === 429);
    const alexCard = connector.posts(alexChat)[0];
    const meganCard = connector.posts(`a:personal-${MEGAN.aadObjectId}`)[0];
    assert.ok(alexCard && meganCard, 'both cards were posted');
    assert.ok(alexCard.at - throttled.at >= 60_000, 'Alex waited out both Retry-Afters');
    assert.ok(meganCard.at - START < 30_000, `Megan's card came ${meganCard.at - START} ms after the start, behind Alex's wait`);
    assert.deepEqual(await w.repositories.notifications.pending(), []);
  });

  it('503 is retried, with backoff', async () => {
    w = world();
    await installed();
    await invitation('Service hiccup');
    connector.respondNext('post', { status: 503 }, 1);
    await drain();
    assert.deepEqual(connector.requests.map((r) => r.status), [503, 201]);
    assert.ok(gaps(connector.requests)[0] > 0, 'not retried at once');
    assert.equal(connector.posts().length, 1);
  });

  it('a send that keeps failing stays pending and is delivered by a later pass', async () => {
    w = world({ maxAttempts: 1 });
    await installed();
    const record = await invitation('Try again later');
    connector.respondNext('post', { status: 500 }, 1);
    await drain();
    assert.equal(connector.requests.length, 1, 'one attempt, no hidden retries');
    assert.equal(connector.posts().length, 0);
    assert.equal((await w.repositories.notifications.pending()).length, 1, 'still pending');
    assert.ok(w.log.has('warn', 'could not deliver an invitation card'));
    await drain();
    assert.equal(connector.posts().length, 1);
    assert.equal((await w.repositories.invitations.get(record.id))?.teamsActivityId, connector.posts()[0].id);
  });

  it('a storage failure while reading the queue is logged, never an unhandled rejection; the next pass delivers', async () => {
    w = world();
    await installed();
    await invitation('Storage hiccup');
    const queue = w.repositories.notifications;
    const pending = queue.pending.bind(queue);
    let failures = 1;
    queue.pending = async () => {
      if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
      return pending();
    };
    await drain(); // resolves: callers use `void kick()`, a rejection would end the process
    assert.ok(w.log.has('error', 'could not read the pending card notifications'));
    assert.equal(connector.posts().length, 0);
    await drain();
    assert.equal(connector.posts().length, 1);
  });

  it('stop() while Teams throttles: the waiting sends are dropped, stay pending, and the next start delivers them', async () => {
    w = world();
    await installed();
    await invitation('First while throttled');
    await invitation('Second while throttled');
    connector.respondNext('post', { status: 429, headers: { 'Retry-After': '60' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } }, 50);
    const draining = w.notifier.kick();
    // Run until the sender waits out a Retry-After.
    for (let i = 0; !w.log.has('warn', 'Teams send failed; retrying'); i++) {
      assert.ok(i < 20_000, 'the sender never started waiting');
      await new Promise<void>((r) => setImmediate(r));
      if (!w.log.has('warn', 'Teams send failed; retrying') && clock.countTimers() > 0) clock.next();
    }
    const sentBeforeStop = connector.requests.length;
    const stoppedAt = Date.now();
    await settle(clock, w.notifier.stop());
    await settle(clock, draining);
    assert.ok(Date.now() - stoppedAt < 60_000, 'stop did not wait out the 60 s Retry-After');
    assert.equal(connector.requests.length, sentBeforeStop, 'nothing was sent after stop');
    assert.equal((await w.repositories.notifications.pending()).length, 2, 'both cards are still owed');
    assert.ok(!w.log.has('warn', 'could not deliver an invitation card'), 'a shutdown is not a delivery failure');
    await settle(clock, w.notifier.kick());
    assert.equal(connector.requests.length, sentBeforeStop, 'a stopped notifier does not drain');

    connector.reset();
    const restarted = new CardNotifier({
      repositories: w.repositories,
      installations: w.installations,
      sender: new ProactiveSender(localCloudAdapter(w.log), { appId: '', minIntervalMs: 200, random: () => 0.5 }, w.log),
      renderCard: (r, view) => createBotCards({ authMode: 'password' }).invitation(r, view),
      summary: invitationSummary,
      log: w.log,
    });
    await settle(clock, restarted.kick());
    assert.equal(connector.posts().length, 2, 'the next start posts both cards');
    assert.deepEqual(await w.repositories.notifications.pending(), []);
  });

  it('403 (the user blocked or removed the bot): the installation is marked inactive and the notification completed', async () => {
    w = world();
    await installed();
    await invitation('Blocked');
    connector.respondNext('post', { status: 403, body: { error: { code: 'MessageWritesBlocked', message: 'Bot is blocked' } } });
    await drain();
    assert.equal(connector.requests.length, 1, '403 is not retried');
    assert.equal((await w.installations.get(idOf(ALEX)))?.active, false);
    assert.deepEqual(await w.repositories.notifications.pending(), []);
    assert.ok(w.log.entries.some((e) => e.level === 'warn' && e.message.includes('Teams refused delivery') && e.fields.code === 'MessageWritesBlocked'));

    // Nothing more is sent to an inactive installation.
    await invitation('After the block');
    await drain();
    assert.equal(connector.requests.length, 1);
  });

  it('a refusal for a conversation the user left while the send was in flight: the reinstall stays active and gets the card', async () => {
    w = world();
    await installed();
    const record = await invitation('Sent during a reinstall');
    const newChat = { id: `a:personal-new-${ALEX.aadObjectId}`, conversationType: 'personal', isGroup: false, name: '' };
    connector.respondNext('post', {
      status: 404,
      body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } },
      meanwhile: async () => void (await w.installations.saveReference(idOf(ALEX), { ...reference(ALEX), conversation: newChat })),
    });
    await drain();
    assert.equal((await w.installations.get(idOf(ALEX)))?.active, true, 'the fresh installation is not deactivated');
    assert.equal((await w.repositories.notifications.pending()).length, 1, 'the card is still owed');
    await drain();
    const posted = connector.posts();
    assert.equal(posted.length, 1);
    assert.equal(posted[0].conversationId, newChat.id, 'delivered to the conversation the user has now');
    assert.equal((await w.repositories.invitations.get(record.id))?.conversationId, newChat.id);
    assert.deepEqual(await w.repositories.notifications.pending(), []);
  });

  it('404 ConversationNotFound (Teams lost the chat): the 1:1 chat is created again, once, and the card goes there', async () => {
    w = world();
    await installed();
    const record = await invitation('Lost chat');
    connector.respondNext('post', { status: 404, body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } } });
    await drain();
    assert.equal(connector.created.length, 1, 'createConversation was called once');
    const asked = connector.created[0].body as { isGroup: boolean; members: Array<{ id: string }>; bot: { id: string } };
    assert.equal(asked.isGroup, false);
    assert.deepEqual(asked.members.map((m) => m.id), [ALEX.id], 'with the invitee');
    assert.equal(asked.bot.id, BOT.id);
    const posted = connector.posts();
    assert.equal(posted.length, 1);
    assert.equal(posted[0].conversationId, 'a:created-1', 'delivered in the new chat');
    const installation = await w.installations.get(idOf(ALEX));
    assert.equal(installation?.active, true);
    assert.equal(installation?.reference.conversation?.id, 'a:created-1', 'later cards go there too');
    assert.equal((await w.repositories.invitations.get(record.id))?.teamsActivityId, posted[0].id);
    assert.deepEqual(await w.repositories.notifications.pending(), []);

    // Lost again: not re-created a second time; the installation is given up until the user writes or reinstalls.
    await invitation('Lost again');
    connector.respondNext('post', { status: 404, body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } } });
    await drain();
    assert.equal(connector.created.length, 1);
    assert.equal((await w.installations.get(idOf(ALEX)))?.active, false);
  });

  it('404 ConversationNotFound and Teams refuses a new chat (the app is gone): the installation is marked inactive', async () => {
    w = world();
    await installed();
    await invitation('Gone for good');
    connector.refuseCreate = true;
    connector.respondNext('post', { status: 404, body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } } });
    await drain();
    assert.equal(connector.created.length, 1);
    assert.equal(connector.posts().length, 0);
    assert.equal((await w.installations.get(idOf(ALEX)))?.active, false);
    assert.deepEqual(await w.repositories.notifications.pending(), []);
  });

  it('404 on update (the card is gone): posts the card again and stores the new activity id', async () => {
    w = world();
    await installed();
    const record = await invitation('Deleted card');
    await drain();
    const first = connector.posts()[0].id;
    connector.respondNext('update', { status: 404, body: { error: { code: 'ActivityNotFoundInConversation', message: 'gone' } } });
    await moveOn(record, 'connected');
    await drain();
    assert.deepEqual(connector.requests.map((r) => `${r.kind} ${r.status}`), ['post 201', 'update 404', 'post 201']);
    const second = connector.posts()[1].id;
    assert.notEqual(second, first);
    assert.equal((await w.repositories.invitations.get(record.id))?.teamsActivityId, second);
    assert.ok(cardHas(cardOf(connector.posts()[1].body), 'Accepted'), 'the re-posted card is the current one');
    assert.equal((await w.installations.get(idOf(ALEX)))?.active, true, 'a missing card is not a blocked user');
  });

  /** Makes the store refuse the writes `refuse(changes)` picks, as a read-only file does. */
  function refuseWrites(refuse: (keys: string[]) => boolean): void {
    const write = w.storage.write.bind(w.storage);
    w.storage.write = async (changes) => {
      if (refuse(Object.keys(changes))) throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
      return write(changes);
    };
  }

  it('a store that refuses writes gets no card at all (not one unstored copy per pass); once it works, exactly one', async () => {
    w = world();
    await installed();
    const record = await invitation('Store went read-only');
    let refusing = true;
    refuseWrites(() => refusing);
    for (let i = 0; i < 5; i++) await drain();
    assert.equal(connector.requests.length, 0, 'nothing posted while the post cannot be noted');
    refusing = false;
    await drain();
    await drain();
    assert.equal(connector.posts().length, 1);
    assert.equal((await w.repositories.invitations.get(record.id))?.teamsActivityId, connector.posts()[0].id);
  });

  it('a post that completed but whose id the store did not take is never posted again: the id is stored later and used', async () => {
    w = world();
    await installed();
    const record = await invitation('Id not stored');
    // The marker goes in; the write of the activity id that follows the POST fails, twice.
    let writes = 0;
    let failures = 0;
    refuseWrites((keys) => keys.some((k) => k.startsWith('sfb/invitations/')) && ++writes > 1 && failures++ < 2);
    await drain();
    await drain();
    assert.equal(connector.posts().length, 1);
    await drain();
    const stored = await w.repositories.invitations.get(record.id);
    assert.equal(stored?.teamsActivityId, connector.posts()[0].id, 'stored once the store takes it');
    assert.equal(stored?.cardPostStartedAt, undefined, 'no post in progress any more');
    await moveOn(record, 'connected');
    await drain();
    assert.equal(connector.posts().length, 1, 'still one card');
    assert.ok(connector.updates().length >= 1);
    assert.ok(connector.updates().every((u) => u.activityId === connector.posts()[0].id), 'every update goes to that card');
    assert.ok(cardHas(cardOf(connector.updates().at(-1)!.body), 'Accepted'));
  });

  it('a post begun by a process that stopped before storing its id: the next process posts once more, says so, and not again', async () => {
    w = world();
    await installed();
    const record = await invitation('Crashed mid-post');
    // What the stopped process left: the post noted, no activity id (its POST may or may not have reached Teams).
    await w.repositories.invitations.markCardPosting(record.id);
    await drain();
    await drain();
    assert.equal(connector.posts().length, 1, 'one more post, not one per pass');
    assert.ok(w.log.has('info', 'an earlier post of this card may have reached Teams'));
    const stored = await w.repositories.invitations.get(record.id);
    assert.equal(stored?.teamsActivityId, connector.posts()[0].id);
    assert.equal(stored?.cardPostStartedAt, undefined);
    assert.deepEqual((cardOf(connector.posts()[0].body)?.refresh as { userIds: string[] }).userIds, [ALEX.id], 'every copy refreshes itself for the invitee');
  });

  it('spaces sends to one conversation by minIntervalMs, and does not hold other conversations back', async () => {
    w = world({ minIntervalMs: 250 });
    await installed(ALEX);
    await installed(MEGAN);
    for (let i = 0; i < 4; i++) await invitation(`Burst ${i}`, ALEX);
    await invitation('For Megan', MEGAN);
    await drain();
    const alex = connector.posts(`a:personal-${ALEX.aadObjectId}`);
    assert.equal(alex.length, 4);
    for (const gap of gaps(alex)) assert.ok(gap >= 250, `two sends to one conversation ${gap} ms apart`);
    assert.equal(connector.posts(`a:personal-${MEGAN.aadObjectId}`).length, 1);

    // Straight through the sender: concurrent posts to one conversation are serialised and spaced as well.
    connector.requests.length = 0;
    const ref = reference(ALEX);
    const ids = await settle(clock, Promise.all([0, 1, 2].map((i) => w.sender.post(ref, { type: 'message', text: `m${i}` }))));
    assert.equal(new Set(ids).size, 3);
    const sent = connector.posts();
    assert.deepEqual(sent.map((r) => r.body.text), ['m0', 'm1', 'm2'], 'in order');
    for (const gap of gaps(sent)) assert.ok(gap >= 250, `${gap} ms apart`);
  });

  it('shares an app-wide budget across conversations (globalPerSecond)', async () => {
    w = world();
    const log = new RecordingLogger();
    const adapter = localCloudAdapter(log);
    // When each send starts (sends to different conversations overlap in flight, so arrival times would not show it).
    const starts: number[] = [];
    const proceed = adapter.continueConversationAsync.bind(adapter) as (...args: unknown[]) => Promise<void>;
    (adapter as unknown as { continueConversationAsync: (...args: unknown[]) => Promise<void> }).continueConversationAsync = (...args: unknown[]) => {
      starts.push(Date.now());
      return proceed(...args);
    };
    const sender = new ProactiveSender(adapter, { appId: '', minIntervalMs: 0, globalPerSecond: 4, random: () => 0.5 }, log);
    const users = [ALEX, MEGAN];
    const ids = await settle(clock, Promise.all([0, 1, 2, 3, 4, 5].map((i) => sender.post(reference(users[i % 2]), { type: 'message', text: `g${i}` }))));
    assert.equal(new Set(ids).size, 6);
    assert.equal(starts.length, 6);
    const sorted = [...starts].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i] - sorted[i - 1] >= 250, `two sends started ${sorted[i] - sorted[i - 1]} ms apart with a budget of 4 per second`);
  });
});
