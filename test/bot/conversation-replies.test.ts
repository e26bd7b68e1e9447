// Reply and Leave in an accepted IM from Teams, through InvitationBot on botbuilder's TestAdapter with the real
// WatcherSupervisor against the real UCWA simulator: the card's Send reaches the sender's transcript once however often
// it is pressed, a typed message goes to the one conversation going on (or asks which, with several), Leave ends the
// conversation and the card says so, and only the invitee can do any of it.
import assert from 'node:assert/strict';
import { ADAPTIVE, ALEX, BotHarness, cardHas, cardOf, cardTexts, executeActions, idOf, MEGAN, poll } from './helpers';

interface TranscriptLine {
  by: 'remote' | 'client';
  text: string;
}

describe('InvitationBot: Reply and Leave in an accepted IM', function () {
  this.timeout(20_000);
  let h: BotHarness;

  before(async () => {
    h = await BotHarness.start();
    await h.installAndConnect(ALEX);
    await h.install(MEGAN);
  });
  after(() => h?.stop());
  // Each test starts with no conversation going on, so a typed message's destination is the test's own.
  afterEach(async () => {
    for (const r of await h.supervisor.conversations.activeOfAccount(idOf(ALEX))) await h.supervisor.conversations.leave(r.id, 'user');
  });

  const transcript = async (simId: string): Promise<TranscriptLine[]> => (await fetch(`${h.sim.origin}/_sim/invitations/${simId}/messages`)).json() as Promise<TranscriptLine[]>;
  const sentByClient = async (simId: string) => (await transcript(simId)).filter((l) => l.by === 'client').map((l) => l.text);

  /** An IM from Megan accepted from its card, its conversation going on: [simulator id, invitation id]. */
  async function acceptedIm(subject: string): Promise<[string, string]> {
    const [simId, record] = await h.invitation({ kind: 'messaging', subject, message: 'Got a minute?' });
    const accept = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' });
    assert.equal(accept.body.statusCode, 200);
    await h.recordState(record.id, (r) => r.state === 'connected', 'the IM to be accepted');
    await poll('the conversation to be going on', () => h.supervisor.conversations.active(record.id));
    return [simId, record.id];
  }

  /** The card as the invitee sees it now (Teams' refresh). */
  async function currentCard(invitationId: string) {
    const res = await h.invoke(ALEX, 'refresh', { invitationId, verb: 'refresh' });
    assert.equal(res.body.type, ADAPTIVE);
    return res.body.value;
  }

  it('the accepted card offers Reply and Leave; Send reaches the sender once even when the same action comes twice', async () => {
    const [simId, invitationId] = await acceptedIm('Numbers');
    const card = await currentCard(invitationId);
    assert.deepEqual(executeActions(card).map((a) => a.verb), ['reply', 'leave']);
    const send = executeActions(card).find((a) => a.verb === 'reply')!;
    assert.equal(send.data.invitationId, invitationId);
    assert.match(String(send.data.replyKey), /^[A-Za-z0-9_-]{8,64}$/, 'the action carries an idempotency key');

    // Teams puts the input's value into the action's data; a retry or a double click repeats the same data.
    const data = { ...send.data, replyText: 'Sending them now' };
    const first = await h.invoke(ALEX, 'reply', data);
    const second = await h.invoke(ALEX, 'reply', data);
    for (const res of [first, second]) {
      assert.equal(res.body.statusCode, 200);
      assert.ok(cardHas(res.body.value, 'Sent'), cardTexts(res.body.value).join(' | '));
    }
    assert.deepEqual(await sentByClient(simId), ['Sending them now'], 'one message reached the sender');
    const nextKey = executeActions(first.body.value).find((a) => a.verb === 'reply')?.data.replyKey;
    assert.ok(nextKey && nextKey !== send.data.replyKey, 'the answered card carries a new key for the next reply');
  });

  it('Action.Submit fallback: the reply box\'s text comes in the message value; the card is updated in place', async () => {
    const [simId, invitationId] = await acceptedIm('Submitted');
    const send = executeActions(await currentCard(invitationId)).find((a) => a.verb === 'reply')!;
    const sent = await h.adapter.turn(h.activity(ALEX, { type: 'message', replyToId: 'im-card', value: { ...send.data, replyText: 'from the fallback' } }));
    assert.equal(sent.length, 0, 'no new message: the card is updated in place');
    const update = h.adapter.updates.at(-1);
    assert.equal(update?.id, 'im-card');
    assert.ok(cardHas(cardOf(update), 'Sent'), cardTexts(cardOf(update)).join(' | '));
    assert.deepEqual(await sentByClient(simId), ['from the fallback']);
  });

  it('a failed send says so and keeps the text in the box', async () => {
    const [simId, invitationId] = await acceptedIm('Will fail');
    const send = executeActions(await currentCard(invitationId)).find((a) => a.verb === 'reply')!;
    await h.admin.fault({ kind: 'status', method: 'POST', path: '/messaging/messages', status: 403, count: 1 });
    const res = await h.invoke(ALEX, 'reply', { ...send.data, replyText: 'Are you there?' });
    await h.admin.clearFaults();
    assert.ok(cardHas(res.body.value, 'Not sent'), cardTexts(res.body.value).join(' | '));
    const input = JSON.stringify(res.body.value).match(/"id":"replyText"[^}]*"value":"([^"]*)"/) ?? JSON.stringify(res.body.value).match(/"value":"([^"]*)"[^}]*"id":"replyText"/);
    assert.equal(input?.[1], 'Are you there?', 'the text is kept in the reply box');
    assert.deepEqual(await sentByClient(simId), []);
  });

  it('a message typed in the chat goes to the one conversation going on', async () => {
    const [simId] = await acceptedIm('Typed');
    const answer = await h.adapter.turn(h.activity(ALEX, { type: 'message', id: 'typed-1', text: 'on my way' }));
    assert.ok(answer.some((a) => /Sent to/.test(String(a.text))), JSON.stringify(answer.map((a) => a.text)));
    // Teams retries a message with the same activity id: it is not sent again.
    await h.adapter.turn(h.activity(ALEX, { type: 'message', id: 'typed-1', text: 'on my way' }));
    assert.deepEqual(await sentByClient(simId), ['on my way']);
  });

  it('with two conversations going on, a typed message asks which, one button each carrying the text', async () => {
    const [firstSim, first] = await acceptedIm('First talk');
    const [secondSim, second] = await acceptedIm('Second talk');
    const answer = await h.adapter.turn(h.activity(ALEX, { type: 'message', id: 'typed-2', text: 'which one?' }));
    const choice = cardOf(answer.find((a) => cardOf(a)));
    assert.ok(choice, 'a choice card');
    const buttons = executeActions(choice);
    assert.deepEqual(buttons.map((b) => b.data.invitationId).sort(), [first, second].sort());
    assert.ok(buttons.every((b) => b.verb === 'reply' && b.data.replyText === 'which one?'));
    assert.deepEqual([...(await sentByClient(firstSim)), ...(await sentByClient(secondSim))], [], 'nothing sent before the user chose');

    const pick = buttons.find((b) => b.data.invitationId === second)!;
    await h.invoke(ALEX, 'reply', pick.data);
    await h.invoke(ALEX, 'reply', pick.data);
    assert.deepEqual(await sentByClient(secondSim), ['which one?']);
    assert.deepEqual(await sentByClient(firstSim), []);
  });

  it('Leave ends the conversation and the card says so; a reply after that is answered clearly and not sent', async () => {
    const [simId, invitationId] = await acceptedIm('Leaving');
    const card = await currentCard(invitationId);
    const leave = executeActions(card).find((a) => a.verb === 'leave')!;
    const send = executeActions(card).find((a) => a.verb === 'reply')!;
    const res = await h.invoke(ALEX, 'leave', leave.data);
    assert.equal(res.body.statusCode, 200);
    assert.ok(cardHas(res.body.value, 'Conversation ended'), cardTexts(res.body.value).join(' | '));
    assert.deepEqual(executeActions(res.body.value), [], 'no Reply or Leave once it ended');
    assert.equal((await h.repositories.invitations.get(invitationId))?.state, 'conversationEnded');

    const late = await h.invoke(ALEX, 'reply', { ...send.data, replyText: 'one more thing' });
    assert.ok(cardHas(late.body.value, 'has ended'), cardTexts(late.body.value).join(' | '));
    assert.deepEqual(await sentByClient(simId), []);
    // A typed message no longer goes there: with nothing going on, the help card as before.
    const typed = await h.say(ALEX, 'still there?');
    assert.ok(typed.some((a) => cardOf(a)) && !typed.some((a) => /Sent to/.test(String(a.text))));
  });

  it('someone other than the invitee cannot reply or leave (403); nothing reaches the pool', async () => {
    const [simId, invitationId] = await acceptedIm('Not Megan\'s');
    const card = await currentCard(invitationId);
    assert.deepEqual(executeActions(card).map((a) => a.verb), ['reply', 'leave']);
    for (const action of executeActions(card)) {
      const res = await h.invoke(MEGAN, action.verb, { ...action.data, replyText: 'hijack' });
      assert.equal(res.body.statusCode, 403, action.verb);
      assert.equal(res.body.value.code, 'Forbidden');
    }
    assert.deepEqual(await sentByClient(simId), []);
    assert.ok(await h.supervisor.conversations.active(invitationId), 'the conversation goes on');
  });
});
