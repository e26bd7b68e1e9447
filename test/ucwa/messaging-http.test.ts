// The client side of an accepted IM against the simulator over real HTTP, in JSON and XML: conversation events read
// into typed messages (data URIs decoded, HTML reduced to text), sendMessage and its completed Success/Failure
// outcome, remote typing, stopMessaging, and the remote side leaving.
import assert from 'node:assert/strict';
import type { UcwaSimulator } from '../../src/simulator';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import type { EventBatch } from '../../src/ucwa/event-channel';
import { ConversationEvent, MessageEvent, MessagingClient, MessagingStateEvent, readConversationEvents } from '../../src/ucwa/messaging';
import { UcwaResource } from '../../src/ucwa/resource';
import type { Representation } from '../../src/ucwa/session';
import { Admin, ALICE, connectClient, Observed, PASSWORD, RecordingTransport, runChannel, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];

function conversationEvents(batches: EventBatch[]): ConversationEvent[] {
  return batches.flatMap((b) => readConversationEvents(b.events.senders.flatMap((s) => s.events.map((event) => ({ senderHref: s.href, senderRel: s.rel, event }))), b.url));
}

describe('UCWA messaging over HTTP', () => {
  const sims = useSimulators();
  let transport: RecordingTransport;
  beforeEach(() => (transport = new RecordingTransport()));
  afterEach(() => transport.close());

  /** A connected client with an accepted IM from Megan; returns what is needed to talk in it. */
  async function acceptedIm(sim: UcwaSimulator, representation: Representation, message?: string) {
    const admin = new Admin(sim);
    const client = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation);
    const channel = runChannel(client.session, client.app.links.events);
    const id = await admin.invite({ to: ALICE, kind: 'messaging', message });
    const started = await channel.batches.waitFor((bs) => bs.flatMap((b) => b.events.senders.flatMap((s) => s.events)).find((e) => e.type === 'started' && e.link.rel === 'messagingInvitation'), 'started');
    const accept = started.embedded!.linkHref('accept')!;
    await client.session.post(new URL(accept, client.app.links.self).toString());
    const state = await waitEvent<MessagingStateEvent>(channel.batches, (e) => e.kind === 'messagingState' && e.state === 'Connected', 'messaging connected');
    return { admin, client, channel, id, state, messaging: new MessagingClient(client.session) };
  }

  async function waitEvent<T extends ConversationEvent>(batches: Observed<EventBatch>, match: (e: ConversationEvent) => boolean, what: string, skip = 0): Promise<T> {
    return (await batches.waitFor((bs) => conversationEvents(bs).filter(match)[skip], what)) as T;
  }

  for (const representation of REPRESENTATIONS) {
    describe(representation, () => {
      it('reads the connected messaging links, the first message and remote plain, HTML and base64 messages as text', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, representation, 'Hi Alice');
        assert.ok(c.state.sendMessageHref?.startsWith('http'));
        assert.ok(c.state.stopMessagingHref?.startsWith('http'));
        const first = await waitEvent<MessageEvent>(c.channel.batches, (e) => e.kind === 'message', 'first message');
        assert.equal(first.text, 'Hi Alice');
        assert.equal(first.direction, 'Incoming');
        await c.admin.call('POST', `/_sim/invitations/${c.id}/messages`, { text: 'can you send me the numbers? 1 + 1 = 2' });
        await c.admin.call('POST', `/_sim/invitations/${c.id}/messages`, { text: '<p>Line&nbsp;one</p><p>Line <b>two</b> &amp; more</p><script>alert(1)</script>', format: 'html' });
        await c.admin.call('POST', `/_sim/invitations/${c.id}/messages`, { text: 'Grüße ✓', encoding: 'base64' });
        const third = await waitEvent<MessageEvent>(c.channel.batches, (e) => e.kind === 'message' && e.direction === 'Incoming', 'three more', 3);
        const incoming = conversationEvents(c.channel.batches.items).filter((e): e is MessageEvent => e.kind === 'message' && e.direction === 'Incoming');
        assert.deepEqual(incoming.map((m) => m.text), ['Hi Alice', 'can you send me the numbers? 1 + 1 = 2', 'Line one\nLine two & more', 'Grüße ✓']);
        assert.deepEqual(incoming.map((m) => m.html), [false, false, true, false]);
        assert.equal(third.author.name, 'Megan Bowen');
        assert.equal(new Set(incoming.map((m) => m.href)).size, 4);
        assert.ok(incoming.every((m) => m.status === 'Success' && m.conversationHref === c.state.conversationHref));
        await c.channel.stop();
      });

      it('sends a message as text/plain with an operationId and reads its Success outcome; a failed one reads Failure', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, representation);
        const sent = await c.messaging.send(c.state.sendMessageHref!, 'Here they are: 42 & 7', 'reply-1');
        assert.match(sent.messageHref ?? '', /\/messaging\/messages\/\d+$/);
        const ok = await waitEvent<MessageEvent>(c.channel.batches, (e) => e.kind === 'message' && e.direction === 'Outgoing' && e.type === 'completed', 'outcome');
        assert.equal(ok.status, 'Success');
        assert.equal(ok.operationId, 'reply-1');
        assert.equal(ok.href, sent.messageHref);
        const transcript = (await c.admin.call<Array<{ by: string; text: string; contentType: string }>>('GET', `/_sim/invitations/${c.id}/messages`)).json;
        assert.deepEqual(transcript.filter((t) => t.by === 'client'), [{ ...transcript.find((t) => t.by === 'client')!, text: 'Here they are: 42 & 7', contentType: 'text/plain; charset=utf-8' }]);

        await c.admin.call('POST', `/_sim/invitations/${c.id}/fail-messages`, { count: 1 });
        await c.messaging.send(c.state.sendMessageHref!, 'this one is lost', 'reply-2');
        const failed = await waitEvent<MessageEvent>(c.channel.batches, (e) => e.kind === 'message' && e.type === 'completed' && e.operationId === 'reply-2', 'failure');
        assert.equal(failed.status, 'Failure');
        assert.ok(failed.reason?.code);
        await c.channel.stop();
      });

      it('reads remote typing, and the remote side leaving as participantLeft, Disconnected and conversationEnded', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, representation);
        await c.admin.call('POST', `/_sim/invitations/${c.id}/typing`, {});
        const typing = await waitEvent(c.channel.batches, (e) => e.kind === 'typing', 'typing');
        assert.equal(typing.kind === 'typing' && typing.typing, true);
        await c.admin.call('POST', `/_sim/invitations/${c.id}/leave`);
        await waitEvent(c.channel.batches, (e) => e.kind === 'conversationEnded', 'ended');
        const kinds = conversationEvents(c.channel.batches.items).map((e) => (e.kind === 'messagingState' ? `${e.kind}:${e.state}` : e.kind === 'typing' ? `typing:${e.typing}` : e.kind));
        assert.deepEqual(kinds.slice(-5), ['typing:true', 'typing:false', 'participantLeft', 'messagingState:Disconnected', 'conversationEnded']);
        await assert.rejects(c.messaging.send(c.state.sendMessageHref!, 'anyone?', 'late'), (err: Error & { status?: number }) => err.status === 409);
        await c.channel.stop();
      });

      it('stopMessaging leaves: 204, then Disconnected and conversationEnded', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, representation);
        await c.messaging.stop(c.state.stopMessagingHref!);
        await waitEvent(c.channel.batches, (e) => e.kind === 'conversationEnded', 'ended');
        assert.equal((await c.admin.invitation(c.id)).state, 'ended');
        await c.channel.stop();
      });
    });
  }

  it('decodes a message in the charset its data URI names and never lets markup through', () => {
    const base = new URL('https://pool.example.com/ucwa/oauth/v1/applications/1/events?ack=2');
    const resource = (links: Record<string, string>) =>
      new UcwaResource({ rel: 'message', href: '/m/2', properties: { direction: 'Incoming' }, links: new Map(Object.entries(links).map(([rel, href]) => [rel, [{ rel, href }]])) });
    const read = (links: Record<string, string>) =>
      readConversationEvents([{ senderHref: '/conv/1', senderRel: 'conversation', event: { type: 'completed', status: 'Success', link: { rel: 'message', href: '/m/2' }, embedded: resource(links) } }], base)[0] as MessageEvent;
    assert.equal(read({ plainMessage: 'data:text/plain;charset=iso-8859-1,Gr%fc%dfe' }).text, 'Grüße');
    assert.equal(read({ htmlMessage: 'data:text/html;charset=utf-8,%3cimg+src%3dx+onerror%3dalert(1)%3eHi%3cbr%3ethere' }).text, 'Hi\nthere');
    assert.equal(read({ plainMessage: 'data:text/plain;charset=utf-8,a%2bb+c%0d%0a' }).text, 'a+b c');
    // No body link at all: no text, and no exception.
    assert.equal(read({}).text, undefined);
    assert.equal(read({}).conversationHref, 'https://pool.example.com/conv/1');
  });
});
