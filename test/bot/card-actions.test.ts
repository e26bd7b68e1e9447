// Accept and Decline from the card: Action.Execute invokes and the Action.Submit fallback, through InvitationBot on
// botbuilder's TestAdapter, with the real WatcherSupervisor against the real UCWA simulator (timeScale 0.01).
import assert from 'node:assert/strict';
import type { EventBatch } from '../../src/store';
import { ADAPTIVE, ALEX, BotHarness, cardHas, cardOf, cardTexts, executeActions, MEGAN, poll } from './helpers';

const ERROR = 'application/vnd.microsoft.error';

describe('InvitationBot: card actions (Action.Execute and Action.Submit)', function () {
  this.timeout(15_000);
  let h: BotHarness;

  before(async () => {
    h = await BotHarness.start();
    await h.installAndConnect(ALEX);
    await h.install(MEGAN);
  });
  after(() => h?.stop());

  /** The card the notifier posted for `subject` (activity id and content). */
  const postedCard = (subject: string) =>
    h.connector.waitFor(`the card "${subject}" to be posted`, (reqs) => reqs.find((r) => r.kind === 'post' && r.status < 300 && cardHas(cardOf(r.body), subject)));

  it('the invitee\'s Accept answers 200 with the updated card; the pool sees one accept; every view is updated', async () => {
    const subject = 'Accept via invoke';
    const [simId, record] = await h.invitation({ kind: 'messaging', subject, message: 'Got a minute?' });
    const posted = await postedCard(subject);
    const accept = executeActions(cardOf(posted.body)).find((a) => a.verb === 'accept');
    assert.ok(accept, 'the posted card offers Accept');
    assert.deepEqual(accept.data, { invitationId: record.id, verb: 'accept' }, 'the card data holds only the id and the verb');

    const res = await h.invoke(ALEX, 'accept', accept.data, posted.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.statusCode, 200);
    assert.equal(res.body.type, ADAPTIVE);
    assert.equal(executeActions(res.body.value).length, 0, 'no buttons once accepted');
    assert.ok(cardHas(res.body.value, 'Accepting') || cardHas(res.body.value, 'Accepted'), cardTexts(res.body.value).join(' | '));

    const sim = await poll('the pool to see the accept', async () => {
      const s = await h.admin.get(simId);
      return s.clientAction === 'accept' ? s : undefined;
    });
    assert.equal(sim.actions.filter((a) => a.action === 'accept').length, 1, 'exactly one accept');
    await h.recordState(record.id, (r) => r.state === 'connected', 'the record to be connected');
    await h.connector.waitFor('the posted card to be updated to Accepted', (reqs) => reqs.find((r) => r.kind === 'update' && r.activityId === posted.id && cardHas(cardOf(r.body), 'Accepted')));
    assert.equal(h.connector.posts().filter((r) => cardHas(cardOf(r.body), subject)).length, 1, 'one invitation, one card');

    // A second click (or a retry by Teams): the current card, and nothing reaches the pool.
    const before = await h.admin.actionRequests('/accept');
    const again = await h.invoke(ALEX, 'accept', accept.data, posted.id);
    assert.equal(again.body.statusCode, 200);
    assert.equal(again.body.type, ADAPTIVE);
    assert.ok(cardHas(again.body.value, 'Accepted'), cardTexts(again.body.value).join(' | '));
    assert.equal(await h.admin.actionRequests('/accept'), before, 'the second click called nothing');
    assert.equal((await h.admin.get(simId)).actions.filter((a) => a.action === 'accept').length, 1);
  });

  it('a click by another user answers 403 vnd.microsoft.error and calls nothing', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Not for Megan' });
    const res = await h.invoke(MEGAN, 'accept', { invitationId: record.id, verb: 'accept' });
    assert.equal(res.status, 403);
    assert.equal(res.body.statusCode, 403);
    assert.equal(res.body.type, ERROR);
    assert.equal(res.body.value.code, 'Forbidden');
    assert.equal((await h.repositories.invitations.get(record.id))?.state, 'pending', 'the record did not move');
    const s = await h.admin.get(simId);
    assert.equal(s.clientAction, null);
    assert.equal(s.actions.length, 0, 'nothing reached the pool');
    assert.ok(h.log.has('warn', 'someone other than the invitee'));
  });

  it('an unknown verb is 400; a forged id is 400 or 404; a URL instead of an id is refused; nothing is called', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Forgeries' });
    const requestsBefore = (await h.admin.actionRequests('/accept')) + (await h.admin.actionRequests('/decline'));
    const cases: Array<{ verb: string | undefined; data: Record<string, unknown>; status: number }> = [
      { verb: 'maybe', data: { invitationId: record.id, verb: 'maybe' }, status: 400 },
      { verb: undefined, data: { invitationId: record.id }, status: 400 },
      { verb: 'accept', data: { invitationId: `${record.id.slice(0, 17)}${'A'.repeat(22)}`, verb: 'accept' }, status: 404 },
      { verb: 'accept', data: { invitationId: 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB', verb: 'accept' }, status: 404 },
      { verb: 'accept', data: { invitationId: `${record.id}x`, verb: 'accept' }, status: 400 },
      { verb: 'accept', data: { invitationId: 42, verb: 'accept' }, status: 400 },
      { verb: 'accept', data: { invitationId: new URL(record.actions.accept!, h.sim.origin).toString(), verb: 'accept' }, status: 400 },
      { verb: 'accept', data: { href: new URL(record.actions.accept!, h.sim.origin).toString(), verb: 'accept' }, status: 400 },
      { verb: 'accept', data: { invitationId: 'https://evil.example/accept', verb: 'accept' }, status: 400 },
    ];
    for (const c of cases) {
      const res = await h.invoke(ALEX, c.verb, c.data);
      assert.equal(res.status, c.status, JSON.stringify(c.data));
      assert.equal(res.body.type, ERROR);
    }
    assert.equal((await h.admin.actionRequests('/accept')) + (await h.admin.actionRequests('/decline')), requestsBefore, 'nothing reached the pool');
    assert.equal((await h.admin.get(simId)).clientAction, null);
    assert.equal((await h.repositories.invitations.get(record.id))?.state, 'pending');
  });

  it('Accept after the sender cancelled (the record already knows): the cancelled card, not an error', async () => {
    const [simId, record] = await h.invitation({ kind: 'onlineMeeting', subject: 'Cancelled first' });
    await h.admin.act(simId, 'cancel');
    await h.recordState(record.id, (r) => r.state === 'cancelledBySender', 'the cancelled record');
    const before = await h.admin.actionRequests('/accept');
    const res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' });
    assert.equal(res.body.statusCode, 200);
    assert.equal(res.body.type, ADAPTIVE);
    assert.ok(cardHas(res.body.value, 'cancelled the invitation'), cardTexts(res.body.value).join(' | '));
    assert.equal(executeActions(res.body.value).length, 0);
    assert.equal(await h.admin.actionRequests('/accept'), before, 'nothing was called');
  });

  it('Accept after the sender cancelled but before the event arrived: "No longer available", then the cancelled card', async () => {
    const [simId, record] = await h.invitation({ kind: 'onlineMeeting', subject: 'Cancelled in flight' });
    const posted = await postedCard('Cancelled in flight');
    // Hold the batch that carries the invitation's end, so the click certainly comes first.
    const original = h.repositories.persistEventBatch;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    h.repositories.persistEventBatch = async (batch: EventBatch) => {
      if (batch.invitations.some((u) => u.invitationHref === record.invitationHref && u.state !== 'pending')) {
        held();
        await gate;
      }
      return original(batch);
    };
    try {
      await h.admin.act(simId, 'cancel');
      await holding;
      const res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
      assert.equal(res.body.statusCode, 200, JSON.stringify(res.body));
      assert.equal(res.body.type, ADAPTIVE);
      const texts = cardTexts(res.body.value);
      assert.ok(cardHas(res.body.value, 'No longer available'), texts.join(' | '));
      assert.ok(!texts.some((t) => /^Failed/.test(t)), `not shown as a failure: ${texts.join(' | ')}`);
      assert.equal(executeActions(res.body.value).length, 0);
    } finally {
      h.repositories.persistEventBatch = original;
      release();
    }
    await h.recordState(record.id, (r) => r.state === 'cancelledBySender', 'the event to refine the record');
    await h.connector.waitFor('the card to show the cancellation', (reqs) =>
      reqs.find((r) => r.kind === 'update' && r.activityId === posted.id && cardHas(cardOf(r.body), 'cancelled the invitation')),
    );
  });

  it('Action.Submit fallback: the message with value and replyToId updates that activity with the new card', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Decline via submit' });
    const sent = await h.adapter.turn(h.activity(ALEX, { type: 'message', replyToId: 'card-from-submit', value: { invitationId: record.id, verb: 'decline' } }));
    assert.equal(sent.length, 0, 'no new message: the card is updated in place');
    const update = h.adapter.updates.at(-1);
    assert.ok(update, 'updateActivity was called');
    assert.equal(update.id, 'card-from-submit');
    assert.equal(update.type, 'message');
    assert.equal(update.conversation?.id, h.personalChat(ALEX).id);
    const card = cardOf(update);
    assert.ok(card && (cardHas(card, 'Declin')), cardTexts(card).join(' | '));
    assert.equal(executeActions(card).length, 0);
    await poll('the pool to see the decline', async () => {
      const s = await h.admin.get(simId);
      return s.clientAction === 'decline' ? s : undefined;
    }).then((s) => assert.equal(s.declineReason, 'Local'));
  });

  it('the posted card refreshes itself for the invitee (their Teams id), and refresh answers the current card without calling the pool', async () => {
    const subject = 'Refresh me';
    const [simId, record] = await h.invitation({ kind: 'messaging', subject });
    const posted = await postedCard(subject);
    assert.deepEqual(cardOf(posted.body)?.refresh, {
      action: { type: 'Action.Execute', verb: 'refresh', data: { invitationId: record.id, verb: 'refresh' } },
      userIds: [ALEX.id],
    });
    const pending = await h.invoke(ALEX, 'refresh', { invitationId: record.id, verb: 'refresh' }, posted.id);
    assert.equal(pending.body.statusCode, 200);
    assert.equal(pending.body.type, ADAPTIVE);
    assert.deepEqual(executeActions(pending.body.value).map((a) => a.verb), ['accept', 'decline']);
    assert.deepEqual((pending.body.value.refresh as { userIds: string[] }).userIds, [ALEX.id], 'the answer refreshes itself too');

    await h.admin.act(simId, 'cancel');
    await h.recordState(record.id, (r) => r.state === 'cancelledBySender', 'the cancelled record');
    await poll('the cancelled card to be delivered', async () => ((await h.repositories.notifications.pending()).length === 0 ? true : undefined));
    const updatesBefore = h.connector.updates().length;
    const cancelled = await h.invoke(ALEX, 'refresh', { invitationId: record.id, verb: 'refresh' }, 'a-copy-the-bot-does-not-know');
    assert.ok(cardHas(cancelled.body.value, 'cancelled the invitation'), cardTexts(cancelled.body.value).join(' | '));
    assert.equal(executeActions(cancelled.body.value).length, 0, 'a stale copy loses its buttons as soon as it is shown');
    assert.equal((await h.admin.get(simId)).actions.length, 0, 'a refresh never reaches the pool');
    assert.equal((await h.repositories.notifications.pending()).length, 0, 'and queues no card update');
    assert.equal(h.connector.updates().length, updatesBefore);
  });

  it('a refresh by someone other than the invitee is refused (403) and shows them nothing new', async () => {
    const [, record] = await h.invitation({ kind: 'messaging', subject: 'Refresh not yours' });
    const res = await h.invoke(MEGAN, 'refresh', { invitationId: record.id, verb: 'refresh' });
    assert.equal(res.body.statusCode, 403);
    assert.equal(res.body.type, ERROR);
    assert.doesNotMatch(JSON.stringify(res.body), /Refresh not yours/);
    const forged = await h.invoke(ALEX, 'refresh', { invitationId: 'https://evil.example/', verb: 'refresh' });
    assert.equal(forged.body.statusCode, 400);
  });

  it('a click on a stale copy (one the bot lost track of) answers with the current card, also once the invitation has ended', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Stale copy' });
    const posted = await postedCard('Stale copy');
    assert.equal((await h.invoke(ALEX, 'decline', { invitationId: record.id, verb: 'decline' }, posted.id)).body.statusCode, 200);
    await h.recordState(record.id, (r) => r.state === 'declined', 'the declined record');
    const before = await h.admin.actionRequests('/accept');
    // The copy that a crash mid-post left behind still shows Accept: pressing it gets the current card in its place.
    const res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, 'stale-copy-1');
    assert.equal(res.body.statusCode, 200);
    assert.equal(res.body.type, ADAPTIVE);
    assert.ok(cardHas(res.body.value, 'Declined'), cardTexts(res.body.value).join(' | '));
    assert.equal(executeActions(res.body.value).length, 0);
    assert.equal(await h.admin.actionRequests('/accept'), before, 'nothing reached the pool');
    assert.equal((await h.admin.get(simId)).clientAction, 'decline');

    // The Action.Submit fallback on a stale copy updates that very copy.
    await h.adapter.turn(h.activity(ALEX, { type: 'message', replyToId: 'stale-copy-2', value: { invitationId: record.id, verb: 'accept' } }));
    const update = h.adapter.updates.at(-1);
    assert.equal(update?.id, 'stale-copy-2');
    assert.ok(cardHas(cardOf(update), 'Declined'));
    assert.equal(executeActions(cardOf(update)).length, 0);
  });

  it('Action.Submit by another user gets a text answer and nothing is updated or called', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Submit not yours' });
    const updates = h.adapter.updates.length;
    const sent = await h.adapter.turn(h.activity(MEGAN, { type: 'message', replyToId: 'card-x', value: { invitationId: record.id, verb: 'accept' } }));
    assert.match(sent[0]?.text ?? '', /Only the person this invitation is for/);
    assert.equal(h.adapter.updates.length, updates);
    assert.equal((await h.admin.get(simId)).actions.length, 0);
  });

  it('the pool cannot be reached: the card the clicker gets back keeps its buttons and says to try again', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Unreachable pool' });
    const posted = await postedCard('Unreachable pool');
    await h.admin.fault({ kind: 'reset', path: '/accept', method: 'POST', count: 1 });
    const res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
    assert.equal(res.body.statusCode, 200);
    assert.ok(cardHas(res.body.value, 'could not reach Skype for Business'), cardTexts(res.body.value).join(' | '));
    assert.deepEqual(executeActions(res.body.value).map((a) => a.verb), ['accept', 'decline'], 'the user can try again');
    assert.equal((await h.repositories.invitations.get(record.id))?.state, 'pending');
    // The second try goes through.
    const again = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
    assert.ok(cardHas(again.body.value, 'Accepting') || cardHas(again.body.value, 'Accepted'), cardTexts(again.body.value).join(' | '));
    await h.recordState(record.id, (r) => r.state === 'connected', 'the second accept to complete');
    assert.equal((await h.admin.get(simId)).clientAction, 'accept');
  });

  it('the store fails during a click: an error answer that says to try again, nothing called, and the retry works', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Storage hiccup on click' });
    const posted = await postedCard('Storage hiccup on click');
    const repo = h.repositories.invitations;
    const get = repo.get.bind(repo);
    repo.get = async () => {
      throw new Error('SQLITE_BUSY: database is locked');
    };
    let res;
    try {
      res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
    } finally {
      repo.get = get;
    }
    assert.equal(res.status, 500, 'answered by the bot, not left to time out');
    assert.equal(res.body.statusCode, 500);
    assert.equal(res.body.type, ERROR);
    assert.match(String((res.body.value as { message: string }).message), /try again/);
    assert.doesNotMatch(JSON.stringify(res.body), /SQLITE/, 'no internals in the answer');
    assert.ok(h.log.has('error', 'card action failed'));
    assert.equal((await h.admin.get(simId)).clientAction, null, 'nothing reached the pool');
    const again = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
    assert.equal(again.body.statusCode, 200);
    await h.recordState(record.id, (r) => r.state === 'connected', 'the retried accept to complete');
  });

  it('a slow pool: the invoke answers within the budget with the in-progress card; the action completes afterwards', async () => {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject: 'Slow pool' });
    const posted = await postedCard('Slow pool');
    // 100 protocol seconds at timeScale 0.01: the pool holds the accept for 1 s; the bot may wait 30 ms.
    await h.admin.fault({ kind: 'delay', path: '/accept', method: 'POST', seconds: 100 });
    h.services.invokeBudgetMs = 30;
    try {
      const res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
      // The pool has not finished the accept yet, so the answer cannot have waited for it.
      assert.equal((await h.admin.get(simId)).clientAction, null, 'answered before the pool finished');
      assert.equal(res.body.statusCode, 200);
      assert.equal(res.body.type, ADAPTIVE);
      assert.ok(cardHas(res.body.value, 'Accepting'), cardTexts(res.body.value).join(' | '));
      assert.equal(executeActions(res.body.value).length, 0, 'no buttons while accepting');
    } finally {
      h.services.invokeBudgetMs = undefined;
    }
    await h.recordState(record.id, (r) => r.state === 'connected', 'the late accept to complete');
    assert.equal((await h.admin.get(simId)).clientAction, 'accept');
    await h.connector.waitFor('the card to be updated to Accepted', (reqs) => reqs.find((r) => r.kind === 'update' && r.activityId === posted.id && cardHas(cardOf(r.body), 'Accepted')));
    await h.admin.clearFaults();
  });
});
