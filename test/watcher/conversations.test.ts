// An accepted IM as a live conversation, watcher + store against the simulator over HTTP: remote messages stored with
// their relay entries before the batch is acknowledged (the invitation's first message kept but not relayed), each
// message once however often it is re-delivered, replies sent at most once per idempotency key with their outcome,
// Leave, the other side leaving, and the idle leave.
import assert from 'node:assert/strict';
import type { UcwaSimulator } from '../../src/simulator';
import { createRepositories, MemoryStorage, type MessageRecord, type Repositories } from '../../src/store';
import { persistEventBatch } from '../../src/store/event-batch';
import { ALICE, useRigs, useSimulators, WatcherRig } from '../support/ucwa-harness';

async function messagesOf(repos: Repositories, invitationId: string): Promise<MessageRecord[]> {
  const all: MessageRecord[] = [];
  // The messages of the invitation that wait for Teams, in relay order.
  for (const { relay } of await repos.messages.pendingRelays()) if (relay.invitationId === invitationId) all.push((await repos.messages.message(relay.messageId))!);
  return all;
}

describe('watcher: accepted IM conversations', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  /** A watched ALICE with an accepted IM from Megan whose first message was `first`. */
  async function accepted(sim: UcwaSimulator, first = 'Hi Alice'): Promise<{ rig: WatcherRig; simId: string; invitationId: string }> {
    const rig = rigs.make(sim);
    rig.start(ALICE);
    await rig.connected(ALICE);
    const simId = await rig.admin.invite({ to: ALICE, kind: 'messaging', message: first });
    const pending = await rig.record(simId, (r) => r.state === 'pending', 'pending');
    assert.equal((await rig.sup.act(pending.id, 'accept')).kind, 'done');
    await rig.record(simId, (r) => r.state === 'connected', 'connected');
    await rig.admin.until(() => rig.sup.conversations.active(pending.id), (a) => a !== undefined, 'conversation active');
    return { rig, simId, invitationId: pending.id };
  }

  it('stores each remote message with its relay entry, in order, and does not relay the first message again', async () => {
    const sim = await sims.start();
    const { rig, simId, invitationId } = await accepted(sim);
    await rig.admin.call('POST', `/_sim/invitations/${simId}/messages`, { text: 'can you send me the numbers?' });
    await rig.admin.call('POST', `/_sim/invitations/${simId}/messages`, { text: '<b>Hi Alice</b>', format: 'html' });
    const relayed = await rig.admin.until(() => messagesOf(rig.repositories, invitationId), (m) => m.length === 2, 'two relays');
    assert.deepEqual(relayed.map((m) => m.text), ['can you send me the numbers?', 'Hi Alice']);
    assert.ok(relayed.every((m) => m.authorName === 'Megan Bowen' && m.suppressed === undefined));
    // The first message is stored (so a later "Hi Alice" is not mistaken for it) but has no relay entry.
    const conversation = await rig.sup.conversations.active(invitationId);
    assert.equal(conversation?.conversation.sawIncomingMessage, true);
    assert.equal((await rig.repositories.messages.pendingRelays()).length, 2);
  });

  it('a re-delivered batch stores nothing twice: one message, one relay entry', async () => {
    const message = { invitationId: 'inv', accountId: ALICE, messageHref: 'https://pool/conv/1/messaging/messages/2', authorName: 'Megan', text: 'once' };
    const storage = new MemoryStorage();
    const r = createRepositories(storage);
    await persistEventBatch(storage, { invitations: [], conversations: { messages: [message] } });
    await persistEventBatch(storage, { invitations: [], conversations: { messages: [message] } });
    assert.equal((await r.messages.pendingRelays()).length, 1);
    assert.equal((await r.messages.message((await r.messages.pendingRelays())[0].relay.messageId))?.text, 'once');
  });

  it('sends a reply once per idempotency key, and records its outcome from the pool', async () => {
    const sim = await sims.start();
    const { rig, simId, invitationId } = await accepted(sim);
    const first = await rig.sup.conversations.reply(invitationId, 'key-00000001', 'Here they are: 42');
    assert.equal(first.kind, 'sent');
    const again = await rig.sup.conversations.reply(invitationId, 'key-00000001', 'Here they are: 42');
    assert.equal(again.kind, 'duplicate');
    const transcript = (await rig.admin.call<Array<{ by: string; text: string; contentType: string }>>('GET', `/_sim/invitations/${simId}/messages`)).json;
    assert.deepEqual(transcript.filter((t) => t.by === 'client').map((t) => t.text), ['Here they are: 42']);
    await rig.admin.until(() => rig.repositories.messages.reply(`${invitationId}.key-00000001`), (r) => r?.state === 'delivered', 'delivered');

    await rig.admin.call('POST', `/_sim/invitations/${simId}/fail-messages`, { count: 1 });
    assert.equal((await rig.sup.conversations.reply(invitationId, 'key-00000002', 'lost one')).kind, 'sent');
    const failed = await rig.admin.until(() => rig.repositories.messages.reply(`${invitationId}.key-00000002`), (r) => r?.state === 'failed', 'failed');
    assert.equal(failed?.text, 'lost one', 'the text is kept');
    assert.deepEqual((await rig.sup.conversations.reply(invitationId, 'bad key!', 'x')).kind, 'invalid');
  });

  it('the other side leaving ends the conversation: the invitation moves to conversationEnded/endedByRemote and replies get "ended"', async () => {
    const sim = await sims.start();
    const { rig, simId, invitationId } = await accepted(sim);
    await rig.admin.call('POST', `/_sim/invitations/${simId}/leave`);
    const ended = await rig.record(simId, (r) => r.state === 'conversationEnded', 'ended');
    assert.equal(ended.reason, 'endedByRemote');
    assert.equal((await rig.sup.conversations.reply(invitationId, 'key-00000003', 'hello?')).kind, 'ended');
    assert.deepEqual(await rig.sup.conversations.activeOfAccount(ALICE), []);
  });

  it('Leave sends stopMessaging once and ends the conversation as left by the user', async () => {
    const sim = await sims.start();
    const { rig, simId, invitationId } = await accepted(sim);
    const left = await rig.sup.conversations.leave(invitationId, 'user');
    assert.equal(left.kind, 'left');
    assert.equal(left.kind === 'left' && left.record?.reason, 'leftByUser');
    assert.equal((await rig.admin.invitation(simId)).state, 'ended');
    assert.equal((await rig.sup.conversations.leave(invitationId, 'user')).kind, 'ended');
    // The pool's own end events arrive later and change nothing.
    await rig.admin.until(() => rig.repositories.messages.conversationOfInvitation(ALICE, invitationId), (c) => c?.state === 'ended', 'ended');
    assert.equal((await rig.repositories.invitations.get(invitationId))?.reason, 'leftByUser');
    assert.equal((await rig.admin.requests({ path: '/messaging/terminate' })).length, 1);
  });

  it('leaves a conversation idle for longer than the limit, and not a busy one', async () => {
    const sim = await sims.start();
    const { rig, invitationId } = await accepted(sim);
    const now = new Date();
    assert.equal(await rig.sup.conversations.leaveIdle(ALICE, 10 * 60_000, now), 0);
    assert.equal(await rig.sup.conversations.leaveIdle(ALICE, 10 * 60_000, new Date(now.getTime() + 10 * 60_000 + 1)), 1);
    assert.equal((await rig.repositories.invitations.get(invitationId))?.reason, 'idleLeft');
  });
});
