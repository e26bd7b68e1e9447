// Relaying remote messages to the user's chat: each message its own post, in arrival order, after the invitation's
// card, once (a second pass posts nothing), a post cut off by a restart posted again and marked so, and the remote
// text made inert (no live links, mentions or HTML; line breaks kept; long text capped with a marker).
import assert from 'node:assert/strict';
import type { Activity, ConversationReference } from 'botbuilder';
import { MessageRelay, relayedMessageText } from '../../bot/message-relay';
import { silentLogger } from '../../src/logger';
import { createRepositories, MemoryStorage, messageIdFor, type Repositories } from '../../src/store';
import { persistEventBatch } from '../../src/store/event-batch';
import { upsertInput } from '../store/helpers';

const ACCOUNT = 'alexw@example.com';

async function setup(cardPosted = true): Promise<{ repos: Repositories; storage: MemoryStorage; invitationId: string; posts: Array<Partial<Activity>>; relay: MessageRelay }> {
  const storage = new MemoryStorage();
  const repos = createRepositories(storage);
  const created = await repos.invitations.upsertFromEvent(upsertInput({ accountId: ACCOUNT, kind: 'messaging', subject: 'Numbers', state: 'connected' }));
  const invitationId = created.record.id;
  if (cardPosted) await repos.invitations.setTeamsActivity(invitationId, 'card-1', 'conv-1');
  const posts: Array<Partial<Activity>> = [];
  const relay = new MessageRelay({
    repositories: repos,
    installationOf: async () => ({ active: true, reference: { conversation: { id: 'conv-1' } } as Partial<ConversationReference> }),
    post: async (_ref, activity) => {
      posts.push(activity);
      return `act-${posts.length}`;
    },
    log: silentLogger,
  });
  return { repos, storage, invitationId, posts, relay };
}

function message(invitationId: string, n: number, text: string) {
  return { invitationId, accountId: ACCOUNT, messageHref: `https://pool/conv/1/messaging/messages/${n}`, authorName: 'Megan Bowen', text };
}

describe('message relay to Teams', () => {
  it('posts each message once, in arrival order, saying who wrote it and in which conversation', async () => {
    const { storage, invitationId, posts, relay, repos } = await setup();
    await persistEventBatch(storage, { invitations: [], conversations: { messages: [message(invitationId, 2, 'first'), message(invitationId, 3, 'second')] } });
    await persistEventBatch(storage, { invitations: [], conversations: { messages: [message(invitationId, 4, 'third')] } });
    await relay.kick();
    assert.deepEqual(posts.map((p) => p.text), ['first', 'second', 'third'].map((t) => `**Megan Bowen** in *Numbers*:\n\n${t}`));
    await relay.kick();
    assert.equal(posts.length, 3, 'nothing is posted twice');
    assert.equal((await repos.messages.message(messageIdFor(invitationId, 'https://pool/conv/1/messaging/messages/2')))?.teamsActivityId, 'act-1');
  });

  it('waits for the invitation card before its messages', async () => {
    const { storage, invitationId, posts, relay, repos } = await setup(false);
    await persistEventBatch(storage, { invitations: [], conversations: { messages: [message(invitationId, 2, 'early')] } });
    await relay.kick();
    assert.equal(posts.length, 0);
    await repos.invitations.setTeamsActivity(invitationId, 'card-1', 'conv-1');
    await relay.kick();
    assert.equal(posts.length, 1);
  });

  it('posts again, marked as possibly repeated, a message whose earlier post was cut off', async () => {
    const { storage, invitationId, posts, relay, repos } = await setup();
    await persistEventBatch(storage, { invitations: [], conversations: { messages: [message(invitationId, 2, 'maybe twice')] } });
    await repos.messages.markPosting(messageIdFor(invitationId, 'https://pool/conv/1/messaging/messages/2'));
    await relay.kick();
    assert.match(String(posts[0].text), /you may see this message twice/);
  });

  it('makes remote text inert: no links, mentions or HTML; line breaks kept; long text capped with a marker', () => {
    const invitation = { subject: 'Plan [x](https://evil.example)', from: { name: 'Megan' } };
    const text = relayedMessageText({ authorName: '<at>Boss</at>', text: 'see [here](https://evil.example)\n<b>bold</b> http://x.example/a\nline three' }, invitation);
    assert.ok(!/\]\(/.test(text), 'no markdown link survives');
    assert.ok(!text.includes('<at>') && !text.includes('<b>'), 'no live mention or HTML');
    assert.equal(text.split('\n\n').length, 4, 'header and three lines');
    const long = relayedMessageText({ authorName: 'Megan', text: 'x'.repeat(5000) }, invitation);
    assert.match(long, /message shortened/);
    assert.ok(long.length < 2600);
  });
});
