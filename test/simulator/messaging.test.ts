// The messaging modality of an accepted IM, over real HTTP in JSON and XML: the messaging resource and its links,
// sendMessage (201 + Location, then message started/completed; the admin transcript keeps the content type), remote
// messages as `message` events with plainMessage/htmlMessage data URIs, typing as typingParticipants changes, failed
// sends, and the end of messaging from either side.
import assert from 'node:assert/strict';
import type { UcwaSimulator } from '../../src/simulator';
import { admin, decodeDataUri, Ev, EventReader, findEvent, FORMATS, FormatName, hasLink, invitationState, invite, link, mustFind, Session, text, useSimulators } from './helpers';

interface Conversation {
  s: Session;
  reader: EventReader;
  id: string;
  messaging: { href: string; sendMessage: string; stopMessaging: string };
}

/** Signs in, makes an application available, accepts an IM from Bob and returns its connected messaging links. */
async function acceptedIm(sim: UcwaSimulator, format: FormatName, message?: string): Promise<Conversation> {
  const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
  const app = await s.createApplication();
  await app.makeMeAvailable(['Messaging']);
  const reader = app.events();
  const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', message });
  await reader.until((all) => !!findEvent(all, 'started', 'messagingInvitation'));
  const started = mustFind(reader.all, 'started', 'messagingInvitation');
  assert.equal((await s.post(link(started.resource!, 'accept'))).status, 204);
  await reader.until((all) => !!findEvent(all, 'updated', 'messaging'));
  const m = mustFind(reader.all, 'updated', 'messaging').resource!;
  return { s, reader, id, messaging: { href: m.href, sendMessage: link(m, 'sendMessage'), stopMessaging: link(m, 'stopMessaging') } };
}

function after(_reader: EventReader, from: number, type: string, rel: string): (all: Ev[]) => boolean {
  return (all) => all.slice(from).some((e) => e.type === type && e.link.rel === rel);
}

function lastOf(reader: EventReader, type: string, rel: string): Ev {
  const found = reader.all.filter((e) => e.type === type && e.link.rel === rel).pop();
  assert.ok(found, `no ${type} ${rel}`);
  return found;
}

async function say(sim: UcwaSimulator, id: string, body: Record<string, unknown>): Promise<number> {
  return (await admin(sim, 'POST', `/_sim/invitations/${id}/messages`, body)).status;
}

describe('simulator: IM messaging after accept', () => {
  const sims = useSimulators();

  for (const format of FORMATS) {
    describe(`in ${format}`, () => {
      it('connects messaging with sendMessage, stopMessaging, setIsTyping and typingParticipants', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        const m = mustFind(c.reader.all, 'updated', 'messaging');
        assert.equal(m.sender.rel, 'conversation');
        assert.equal(text(m.resource!, 'state'), 'Connected');
        for (const rel of ['sendMessage', 'stopMessaging', 'setIsTyping', 'typingParticipants']) assert.ok(hasLink(m.resource!, rel), rel);
        const got = await c.s.get(c.messaging.href);
        assert.equal(got.status, 200);
        assert.equal(text(c.s.resource(got), 'state'), 'Connected');
      });

      it('sends a message: 201 with Location, message started then completed Success, the transcript keeps the content type', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        const from = c.reader.all.length;
        const res = await c.s.request('POST', `${c.messaging.sendMessage}?operationId=op-1`, { body: 'Numbers: 1 + 1 = 2 & more', headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
        assert.equal(res.status, 201, res.body);
        const location = String(res.headers.location);
        assert.match(location, /\/messaging\/messages\/\d+$/);
        await c.reader.until(after(c.reader, from, 'completed', 'message'));
        const events = c.reader.all.slice(from).filter((e) => e.link.rel === 'message');
        assert.deepEqual(events.map((e) => e.type), ['started', 'completed']);
        const done = events[1];
        assert.equal(done.status, 'Success');
        assert.equal(done.link.href, location);
        assert.equal(text(done.resource!, 'direction'), 'Outgoing');
        assert.equal(text(done.resource!, 'operationId'), 'op-1');
        const transcript = (await admin(sim, 'GET', `/_sim/invitations/${c.id}/messages`)).json as unknown as Array<Record<string, unknown>>;
        const sent = transcript.find((t) => t.by === 'client')!;
        assert.equal(sent.text, 'Numbers: 1 + 1 = 2 & more');
        assert.equal(sent.contentType, 'text/plain; charset=utf-8');
        assert.equal(sent.status, 'Success');
      });

      it('refuses a message that is not text/plain or text/html (415) and an empty one (400)', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        await c.s.expectError(c.s.request('POST', c.messaging.sendMessage, { body: '{"a":1}', headers: { 'Content-Type': 'application/json' } }), 415, 'UnsupportedMediaType');
        await c.s.expectError(c.s.request('POST', c.messaging.sendMessage, { body: '', headers: { 'Content-Type': 'text/plain' } }), 400, 'BadRequest');
      });

      it('completes a message with Failure when the pool cannot deliver it', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${c.id}/fail-messages`, { count: 1 })).status, 200);
        const from = c.reader.all.length;
        const res = await c.s.request('POST', c.messaging.sendMessage, { body: 'lost', headers: { 'Content-Type': 'text/plain' } });
        assert.equal(res.status, 201);
        await c.reader.until(after(c.reader, from, 'completed', 'message'));
        const done = lastOf(c.reader, 'completed', 'message');
        assert.equal(done.status, 'Failure');
        assert.ok(done.reason?.code);
      });

      it('delivers remote messages as message events with plainMessage or htmlMessage data URIs, after the first message', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format, 'Hi Alex');
        await c.reader.until((all) => all.some((e) => e.type === 'completed' && e.link.rel === 'message'));
        const from = c.reader.all.length;
        assert.equal(await say(sim, c.id, { text: 'can you send me the numbers? 50% + tax' }), 200);
        assert.equal(await say(sim, c.id, { text: '<b>now</b> please', format: 'html' }), 200);
        assert.equal(await say(sim, c.id, { text: 'base64 too', encoding: 'base64' }), 200);
        await c.reader.until((all) => all.slice(from).filter((e) => e.type === 'completed' && e.link.rel === 'message').length === 3);
        const msgs = c.reader.all.slice(from).filter((e) => e.type === 'completed' && e.link.rel === 'message');
        for (const m of msgs) {
          assert.equal(m.status, 'Success');
          assert.equal(m.sender.rel, 'conversation');
          assert.equal(text(m.resource!, 'direction'), 'Incoming');
          assert.ok(hasLink(m.resource!, 'participant'));
        }
        assert.equal(decodeDataUri(link(msgs[0].resource!, 'plainMessage')).text, 'can you send me the numbers? 50% + tax\r\n');
        const html = decodeDataUri(link(msgs[1].resource!, 'htmlMessage'));
        assert.equal(html.mime, 'text/html');
        assert.equal(html.text, '<b>now</b> please');
        assert.equal(hasLink(msgs[1].resource!, 'plainMessage'), false);
        assert.equal(decodeDataUri(link(msgs[2].resource!, 'plainMessage')).base64, true);
        // Each message has its own href; the first message of the invitation was messages/1.
        assert.equal(new Set(msgs.map((m) => m.link.href)).size, 3);
        assert.ok(msgs.every((m) => !m.link.href.endsWith('/messages/1')));
      });

      it('shows remote typing as the participant added to and removed from typingParticipants', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        const from = c.reader.all.length;
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${c.id}/typing`, {})).status, 200);
        await c.reader.until(after(c.reader, from, 'added', 'participant'));
        const added = lastOf(c.reader, 'added', 'participant');
        assert.equal(added.in?.rel, 'typingParticipants');
        const list = await c.s.get(`${c.messaging.href}/typingParticipants`);
        assert.equal(c.s.resource(list).links.participant?.length, 1);
        // A message ends the typing.
        assert.equal(await say(sim, c.id, { text: 'done typing' }), 200);
        await c.reader.until(after(c.reader, from, 'deleted', 'participant'));
        assert.equal(lastOf(c.reader, 'deleted', 'participant').in?.rel, 'typingParticipants');
      });

      it('ends messaging when the remote participant leaves: participant deleted, messaging Disconnected, conversation deleted', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        const from = c.reader.all.length;
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${c.id}/leave`)).status, 200);
        await c.reader.until(after(c.reader, from, 'deleted', 'conversation'));
        const tail = c.reader.all.slice(from);
        const gone = tail.find((e) => e.type === 'deleted' && e.link.rel === 'participant');
        assert.ok(gone && !gone.in, 'the participant left the conversation (not only typing)');
        const m = tail.find((e) => e.type === 'updated' && e.link.rel === 'messaging')!;
        assert.equal(text(m.resource!, 'state'), 'Disconnected');
        assert.equal(hasLink(m.resource!, 'sendMessage'), false);
        assert.equal((await invitationState(sim, c.id)).state, 'ended');
        await c.s.expectError(c.s.request('POST', c.messaging.sendMessage, { body: 'anyone?', headers: { 'Content-Type': 'text/plain' } }), 409, 'Conflict');
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${c.id}/messages`, { text: 'late' })).status, 409);
      });

      it('stopMessaging ends the application side: 204, messaging Disconnected, the conversation leaves the active list', async () => {
        const sim = await sims.start();
        const c = await acceptedIm(sim, format);
        const from = c.reader.all.length;
        assert.equal((await c.s.post(c.messaging.stopMessaging)).status, 204);
        await c.reader.until(after(c.reader, from, 'deleted', 'conversation'));
        assert.equal(text(lastOf(c.reader, 'updated', 'messaging').resource!, 'state'), 'Disconnected');
        assert.equal((await invitationState(sim, c.id)).state, 'ended');
        await c.s.expectError(c.s.post(c.messaging.stopMessaging), 409, 'Conflict');
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${c.id}/leave`)).status, 409);
      });
    });
  }
});
