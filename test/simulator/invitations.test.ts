// Incoming invitations of the three kinds: delivery only to endpoints available for the modality, every property
// and link, the started/updated/completed sequences, accept, lobby admit/deny, decline Local/Global, cancel, missed,
// answered elsewhere, late or repeated actions, and audio/video's own accept links.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { UcwaSimulator } from '../../src/simulator';
import {
  admin,
  App,
  decodeDataUri,
  Ev,
  eventsBeforeMarker,
  EventReader,
  findEvent,
  FORMATS,
  FormatName,
  fromParticipant,
  hasLink,
  invitationState,
  invite,
  InvitationInput,
  link,
  list,
  mustFind,
  Session,
  text,
  UCWA_NS,
  useSimulators,
} from './helpers';

const REL = { onlineMeeting: 'onlineMeetingInvitation', messaging: 'messagingInvitation', audioVideo: 'audioVideoInvitation' } as const;
type Kind = keyof typeof REL;

interface Endpoint {
  s: Session;
  app: App;
  reader: EventReader;
}

async function endpoint(sim: UcwaSimulator, format: FormatName, modalities: string[] = ['Messaging'], upn = 'alexw@example.com', extra: Record<string, unknown> = {}): Promise<Endpoint> {
  const s = await Session.signIn(sim.origin, upn, format);
  const app = await s.createApplication();
  await app.makeMeAvailable(modalities, extra);
  return { s, app, reader: app.events() };
}

/** This invitation's events (by the id at the end of the invitation href). */
function of(id: string, events: Ev[]): Ev[] {
  return events.filter((e) => e.link.href.endsWith(`/${id}`));
}

function has(id: string, type: string, rel?: string): (all: Ev[]) => boolean {
  return (all) => of(id, all).some((e) => e.type === type && (!rel || e.link.rel === rel));
}

async function started(ep: Endpoint, id: string, kind: Kind): Promise<Ev> {
  await ep.reader.until(has(id, 'started', REL[kind]));
  return mustFind(of(id, ep.reader.all), 'started', REL[kind]);
}

async function completed(ep: Endpoint, id: string, kind: Kind): Promise<Ev> {
  await ep.reader.until(has(id, 'completed', REL[kind]));
  return mustFind(of(id, ep.reader.all), 'completed', REL[kind]);
}

function assertFailure(ev: Ev, subcode: string): void {
  assert.equal(ev.status, 'Failure');
  assert.ok(ev.reason, 'a failed completion carries a reason');
  assert.equal(ev.reason.subcode, subcode);
  assert.ok(ev.reason.code.length > 0);
  assert.ok((ev.reason.message ?? '').length > 0);
  assert.equal(text(ev.resource!, 'state'), 'Failed');
  assert.equal(hasLink(ev.resource!, 'accept'), false);
}

describe('simulator: incoming invitations', () => {
  // Registered first so that it runs first: the simulators stop on real timers.
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });
  const sims = useSimulators();

  for (const format of FORMATS) {
    describe(`in ${format}`, () => {
      it('delivers an online meeting invitation with every property and link of the seed page', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format, ['Messaging', 'Audio']);
        const message = 'Join me: 1 + 1 = 2 & 100% sure';
        const meetingUri = 'sip:bob@example.com;gruu;opaque=app:conf:focus:id:ABC123';
        const { id, deliveredTo } = await invite(sim, {
          to: 'alexw@example.com',
          kind: 'onlineMeeting',
          from: { name: 'Bob Caller', uri: 'sip:bob@example.com', sourceNetwork: 'Federated' },
          onBehalfOf: { name: 'Carol Boss', uri: 'sip:carol@example.com' },
          subject: 'Quarterly review <Q3>',
          importance: 'Urgent',
          message,
          onlineMeetingUri: meetingUri,
          availableModalities: ['Messaging', 'Audio'],
        });
        assert.deepEqual(deliveredTo, [ep.app.id]);
        const ev = await started(ep, id, 'onlineMeeting');
        assert.equal(ev.sender.rel, 'communication');
        const r = ev.resource!;
        assert.equal(r.rel, 'onlineMeetingInvitation');
        assert.equal(r.href, ev.link.href);
        assert.equal(text(r, 'direction'), 'Incoming');
        assert.equal(text(r, 'state'), 'Connecting');
        assert.equal(text(r, 'importance'), 'Urgent');
        assert.equal(text(r, 'subject'), 'Quarterly review <Q3>');
        assert.equal(text(r, 'to'), 'sip:alexw@example.com');
        assert.equal(text(r, 'onlineMeetingUri'), meetingUri);
        assert.deepEqual(list(r, 'availableModalities'), ['Messaging', 'Audio']);
        const threadId = text(r, 'threadId');
        assert.ok(threadId && threadId.length > 10);
        for (const rel of ['self', 'accept', 'decline', 'conversation', 'from', 'to', 'message', 'onBehalfOf']) assert.ok(hasLink(r, rel), `link ${rel}`);
        assert.equal(link(r, 'accept'), `${r.href}/accept`);
        assert.equal(r.links.onBehalfOf[0].title, 'Carol Boss');
        assert.equal(r.links.from[0].title, 'Bob Caller');
        // The first message: URL-encoded, spaces as +, a literal + as %2b.
        const uri = link(r, 'message');
        assert.ok(uri.startsWith('data:text/plain;charset=utf-8,Join+me'), uri);
        assert.match(uri, /1\+%2b\+1/);
        assert.deepEqual(decodeDataUri(uri), { mime: 'text/plain', text: `${message}\r\n`, base64: false });
        const from = fromParticipant(r);
        assert.equal(from.rel, 'participant');
        assert.equal(text(from, 'name'), 'Bob Caller');
        assert.equal(text(from, 'uri'), 'sip:bob@example.com');
        assert.equal(text(from, 'sourceNetwork'), 'Federated');
        // The conversation arrives with it.
        const conv = mustFind(ep.reader.all, 'added', 'conversation');
        assert.equal(conv.link.href, link(r, 'conversation'));
        assert.equal(text(conv.resource!, 'state'), 'Incoming');
        assert.equal(text(conv.resource!, 'threadId'), threadId);
        assert.equal(text(conv.resource!, 'importance'), 'Urgent');
        const local = mustFind(ep.reader.all, 'added', 'localParticipant');
        assert.equal(local.sender.rel, 'conversation');
        assert.equal(local.sender.href, conv.link.href);
      });

      it('sends updated without accept/decline, while a GET during ringing still shows them', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', importance: 'Emergency' });
        const st = await started(ep, id, 'messaging');
        await ep.reader.until(has(id, 'updated', 'messagingInvitation'));
        const up = mustFind(of(id, ep.reader.all), 'updated', 'messagingInvitation');
        assert.equal(hasLink(up.resource!, 'accept'), false);
        assert.equal(hasLink(up.resource!, 'decline'), false);
        assert.equal(text(up.resource!, 'state'), 'Connecting');
        assert.equal(text(up.resource!, 'importance'), 'Emergency');
        assert.equal(text(st.resource!, 'importance'), 'Emergency');
        assert.ok(hasLink(st.resource!, 'messaging'));
        // The remote participant joins the conversation, link and title only.
        const participant = mustFind(ep.reader.all, 'added', 'participant');
        assert.equal(participant.link.title, 'Bob Caller');
        assert.equal(participant.resource, undefined);
        const got = ep.s.resource(await ep.s.get(st.link.href));
        assert.ok(hasLink(got, 'accept'));
      });

      it('encodes the message in base64 when asked, and defaults importance to Normal', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', message: 'plus + and ünïcode', messageEncoding: 'base64' });
        const r = (await started(ep, id, 'messaging')).resource!;
        const uri = link(r, 'message');
        assert.match(uri, /^data:text\/plain;base64,/);
        assert.equal(decodeDataUri(uri).text, 'plus + and ünïcode\r\n');
        assert.equal(text(r, 'importance'), 'Normal');
        assert.equal(hasLink(r, 'onBehalfOf'), false);
      });

      it('delivers only to endpoints available for the modality', async () => {
        const sim = await sims.start();
        const messagingOnly = await endpoint(sim, format, ['Messaging']);
        const audio = await endpoint(sim, format, ['Messaging', 'Audio']);
        const lurker = await Session.signIn(sim.origin, 'alexw@example.com', format).then((s) => s.createApplication());
        const av = await invite(sim, { to: 'alexw@example.com', kind: 'audioVideo' });
        assert.deepEqual(av.deliveredTo, [audio.app.id]);
        const audioMeeting = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', availableModalities: ['Audio'] });
        assert.deepEqual(audioMeeting.deliveredTo, [audio.app.id]);
        const im = await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        assert.deepEqual(im.deliveredTo.sort(), [messagingOnly.app.id, audio.app.id].sort());
        assert.ok(!im.deliveredTo.includes(lurker.id));
        // The messaging-only channel carries the IM but neither the call nor the audio-only meeting.
        await started(messagingOnly, im.id, 'messaging');
        assert.equal(findEvent(messagingOnly.reader.all, 'started', 'audioVideoInvitation'), undefined);
        assert.equal(findEvent(messagingOnly.reader.all, 'started', 'onlineMeetingInvitation'), undefined);
        await started(audio, av.id, 'audioVideo');
        // Nobody available for it: the invitation is not delivered at all.
        const nobody = await invite(sim, { to: 'meganb@example.com', kind: 'messaging' });
        assert.deepEqual(nobody.deliveredTo, []);
        assert.equal((await invitationState(sim, nobody.id)).state, 'undelivered');
      });

      it('accepts a messaging invitation: 204, conversation events, completed Success, then the first message', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', message: 'Hi Alex' });
        const st = await started(ep, id, 'messaging');
        const res = await ep.s.post(link(st.resource!, 'accept'));
        assert.equal(res.status, 204);
        assert.equal(res.body, '');
        const done = await completed(ep, id, 'messaging');
        assert.equal(done.status, 'Success');
        assert.equal(done.reason, undefined);
        assert.equal(text(done.resource!, 'state'), 'Connected');
        assert.equal(hasLink(done.resource!, 'accept'), false);
        const messaging = mustFind(ep.reader.all, 'updated', 'messaging');
        assert.equal(text(messaging.resource!, 'state'), 'Connected');
        const convUpdates = ep.reader.all.filter((e) => e.type === 'updated' && e.link.rel === 'conversation');
        assert.equal(text(convUpdates[convUpdates.length - 1].resource!, 'state'), 'Connected');
        await ep.reader.until((all) => !!findEvent(all, 'completed', 'message'));
        const msg = mustFind(ep.reader.all, 'completed', 'message');
        assert.equal(msg.status, 'Success');
        assert.equal(text(msg.resource!, 'direction'), 'Incoming');
        assert.equal(decodeDataUri(link(msg.resource!, 'plainMessage')).text, 'Hi Alex\r\n');
        const ts = text(msg.resource!, 'timeStamp')!;
        assert.match(ts, format === 'json' ? /^\/Date\(\d+\)\/$/ : /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        const state = await invitationState(sim, id);
        assert.equal(state.state, 'connected');
        assert.equal(state.clientAction, 'accept');
      });

      it('accepts an online meeting without a lobby: conversation Conferenced, completed Success', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting' });
        const st = await started(ep, id, 'onlineMeeting');
        assert.equal((await ep.s.post(link(st.resource!, 'accept'))).status, 204);
        const done = await completed(ep, id, 'onlineMeeting');
        assert.equal(done.status, 'Success');
        const conv = ep.reader.all.filter((e) => e.type === 'updated' && e.link.rel === 'conversation').pop()!;
        assert.equal(text(conv.resource!, 'state'), 'Conferenced');
      });

      it('keeps an accepted lobby meeting Connecting with the conversation InLobby, then admit completes it with Success', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', lobby: true });
        const st = await started(ep, id, 'onlineMeeting');
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/admit`)).status, 409, 'nobody is in the lobby yet');
        assert.equal((await ep.s.post(link(st.resource!, 'accept'))).status, 204);
        await ep.reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'conversation' && text(e.resource!, 'state') === 'InLobby'));
        await ep.reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'localParticipant'));
        const lp = mustFind(ep.reader.all, 'updated', 'localParticipant');
        assert.equal(text(lp.resource!, 'inLobby'), 'True');
        const lobbyUpdate = of(id, ep.reader.all).filter((e) => e.type === 'updated').pop()!;
        assert.equal(text(lobbyUpdate.resource!, 'state'), 'Connecting');
        assert.equal(findEvent(of(id, ep.reader.all), 'completed', 'onlineMeetingInvitation'), undefined);
        assert.equal((await invitationState(sim, id)).state, 'inLobby');
        const admitted = await admin(sim, 'POST', `/_sim/invitations/${id}/admit`);
        assert.equal(admitted.status, 200);
        assert.equal(admitted.json.affected, 1);
        const done = await completed(ep, id, 'onlineMeeting');
        assert.equal(done.status, 'Success');
        assert.equal(text(done.resource!, 'state'), 'Connected');
        const conv = ep.reader.all.filter((e) => e.type === 'updated' && e.link.rel === 'conversation').pop()!;
        assert.equal(text(conv.resource!, 'state'), 'Conferenced');
      });

      it('admits from the lobby by itself after admitAfterSeconds (the demo\'s leader), and not before', async () => {
        const sim = await sims.start({ timeScale: 1 });
        clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout'] });
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', lobby: true, admitAfterSeconds: 5 });
        const st = await started(ep, id, 'onlineMeeting');
        assert.equal((await ep.s.post(link(st.resource!, 'accept'))).status, 204);
        await ep.reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'conversation' && text(e.resource!, 'state') === 'InLobby'));
        clock.tick(4_900);
        assert.equal((await invitationState(sim, id)).state, 'inLobby');
        clock.tick(100);
        const done = await completed(ep, id, 'onlineMeeting');
        assert.equal(done.status, 'Success');
        assert.equal((await invitationState(sim, id)).state, 'connected');
      });

      it('does not admit someone who was denied before admitAfterSeconds passed', async () => {
        const sim = await sims.start({ timeScale: 1 });
        clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout'] });
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', lobby: true, admitAfterSeconds: 5 });
        const st = await started(ep, id, 'onlineMeeting');
        assert.equal((await ep.s.post(link(st.resource!, 'accept'))).status, 204);
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/deny`)).status, 200);
        assertFailure(await completed(ep, id, 'onlineMeeting'), 'Denied');
        clock.tick(5_000);
        assert.equal((await invitationState(sim, id)).state, 'denied');
      });

      it('completes a lobby meeting with Failure Denied when a leader denies entry', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', lobby: true });
        const st = await started(ep, id, 'onlineMeeting');
        assert.equal((await ep.s.post(link(st.resource!, 'accept'))).status, 204);
        await ep.reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'conversation' && text(e.resource!, 'state') === 'InLobby'));
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/deny`)).status, 200);
        assertFailure(await completed(ep, id, 'onlineMeeting'), 'Denied');
        assert.equal((await invitationState(sim, id)).state, 'denied');
      });

      for (const scope of ['Local', 'Global'] as const) {
        it(`declines with reason ${scope}`, async () => {
          const sim = await sims.start();
          const one = await endpoint(sim, format);
          const two = await endpoint(sim, format);
          const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting' });
          const st = await started(one, id, 'onlineMeeting');
          await started(two, id, 'onlineMeeting');
          const res = await one.s.post(link(st.resource!, 'decline'), { reason: scope });
          assert.equal(res.status, 204);
          assertFailure(await completed(one, id, 'onlineMeeting'), 'Declined');
          const state = await invitationState(sim, id);
          assert.equal(state.clientAction, 'decline');
          assert.equal(state.declineReason, scope);
          const endpoints = state.endpoints as Array<{ applicationId: string; state: string }>;
          const other = endpoints.find((e) => e.applicationId === two.app.id)!;
          if (scope === 'Global') {
            assert.equal(other.state, 'declined');
            assertFailure(await completed(two, id, 'onlineMeeting'), 'Declined');
          } else {
            // A local decline leaves the user's other endpoints ringing.
            assert.equal(other.state, 'ringing');
            assert.equal(state.state, 'ringing');
          }
        });
      }

      it('refuses an unknown decline reason with 400, and takes the reason from an XML <input> body', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        const decline = link((await started(ep, id, 'messaging')).resource!, 'decline');
        await ep.s.expectError(ep.s.post(decline, { reason: 'BecauseISaidSo' }), 400, 'BadRequest', 'ParameterValidationFailure');
        assert.equal((await invitationState(sim, id)).state, 'ringing');
        const xml = `<input xmlns="${UCWA_NS}"><property name="reason">Global</property></input>`;
        const res = await ep.s.request('POST', decline, { body: xml, headers: { 'Content-Type': 'application/vnd.microsoft.com.ucwa+xml' } });
        assert.equal(res.status, 204, res.body);
        assertFailure(await completed(ep, id, 'messaging'), 'Declined');
        assert.equal((await invitationState(sim, id)).declineReason, 'Global');
      });

      it('declines with an empty body (reason defaults to Local)', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        const st = await started(ep, id, 'messaging');
        assert.equal((await ep.s.post(link(st.resource!, 'decline'))).status, 204);
        assertFailure(await completed(ep, id, 'messaging'), 'Declined');
        assert.equal((await invitationState(sim, id)).declineReason, 'Local');
      });

      const endings: Array<{ name: string; subcode: string; state: string; input?: Partial<InvitationInput>; act?: (sim: UcwaSimulator, id: string) => Promise<void> }> = [
        { name: 'the caller cancels', subcode: 'Canceled', state: 'cancelled', act: async (sim, id) => void assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/cancel`)).status, 200) },
        { name: 'nobody answers within the answer window', subcode: 'Missed', state: 'missed', input: { answerWindowSeconds: 30 } },
        { name: 'another endpoint answers', subcode: 'ConnectedElsewhere', state: 'answeredElsewhere', act: async (sim, id) => void assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/answer-elsewhere`)).status, 200) },
        { name: 'the pool fails it', subcode: 'MediaFailure', state: 'failed', act: async (sim, id) => void assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/fail`)).status, 200) },
      ];
      for (const end of endings) {
        for (const kind of ['messaging', 'onlineMeeting', 'audioVideo'] as const) {
          it(`completes a ${kind} invitation with Failure ${end.subcode} when ${end.name}`, async () => {
            const sim = await sims.start();
            const ep = await endpoint(sim, format, ['Messaging', 'Audio']);
            const { id } = await invite(sim, { to: 'alexw@example.com', kind, ...end.input });
            await started(ep, id, kind);
            await end.act?.(sim, id);
            const done = await completed(ep, id, kind);
            assertFailure(done, end.subcode);
            assert.equal((await invitationState(sim, id)).state, end.state);
            // The conversation goes away with it.
            await ep.reader.until((all) => all.some((e) => e.type === 'deleted' && e.link.rel === 'conversation'));
          });
        }
      }

      it('tells the other endpoints of the user ConnectedElsewhere when one accepts', async () => {
        const sim = await sims.start();
        const one = await endpoint(sim, format);
        const two = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        const st = await started(one, id, 'messaging');
        await started(two, id, 'messaging');
        assert.equal((await one.s.post(link(st.resource!, 'accept'))).status, 204);
        assert.equal((await completed(one, id, 'messaging')).status, 'Success');
        assertFailure(await completed(two, id, 'messaging'), 'ConnectedElsewhere');
      });

      it('audio/video offers no plain accept: acceptWithPhoneAudio and decline work, POST accept fails', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format, ['Messaging', 'PhoneAudio'], 'alexw@example.com', { phoneNumber: '+14255550100' });
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'audioVideo', subject: 'Call' });
        const r = (await started(ep, id, 'audioVideo')).resource!;
        assert.equal(hasLink(r, 'accept'), false);
        for (const rel of ['acceptWithPhoneAudio', 'acceptWithAnswer', 'decline', 'audioVideo', 'mediaOffer']) assert.ok(hasLink(r, rel), `link ${rel}`);
        assert.match(link(r, 'mediaOffer'), /^data:application\/sdp;base64,/);
        assert.match(decodeDataUri(link(r, 'mediaOffer')).text, /^v=0\r\n/);
        assert.ok(text(r, 'sessionContext'));
        await ep.s.expectError(ep.s.post(`${r.href}/accept`), 404, 'NotFound');
        assert.equal((await invitationState(sim, id)).state, 'ringing', 'the failed accept changed nothing');
        assert.equal((await ep.s.post(link(r, 'acceptWithPhoneAudio'))).status, 204);
        const done = await completed(ep, id, 'audioVideo');
        assert.equal(done.status, 'Success');
        assert.equal((await invitationState(sim, id)).clientAction, 'acceptWithPhoneAudio');
        // And decline on a second call.
        const second = await invite(sim, { to: 'alexw@example.com', kind: 'audioVideo' });
        const r2 = (await started(ep, second.id, 'audioVideo')).resource!;
        assert.equal((await ep.s.post(link(r2, 'decline'), { reason: 'Local' })).status, 204);
        assertFailure(await completed(ep, second.id, 'audioVideo'), 'Declined');
      });

      const phoneless: Array<{ name: string; modalities: string[]; extra: Record<string, unknown> }> = [
        { name: 'made available for Audio only', modalities: ['Messaging', 'Audio'], extra: { phoneNumber: '+14255550100' } },
        { name: 'made available for PhoneAudio without a phone number', modalities: ['Messaging', 'PhoneAudio'], extra: {} },
        { name: 'made available for PhoneAudio with an empty phone number', modalities: ['Messaging', 'PhoneAudio'], extra: { phoneNumber: '' } },
      ];
      for (const p of phoneless) {
        it(`refuses acceptWithPhoneAudio with 409 Conflict from an application ${p.name}; the call keeps ringing`, async () => {
          const sim = await sims.start();
          const ep = await endpoint(sim, format, p.modalities, 'alexw@example.com', p.extra);
          const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'audioVideo' });
          const r = (await started(ep, id, 'audioVideo')).resource!;
          const reason = await ep.s.expectError(ep.s.post(link(r, 'acceptWithPhoneAudio')), 409, 'Conflict');
          assert.match(reason.message ?? '', /PhoneAudio/);
          const state = await invitationState(sim, id);
          assert.equal(state.state, 'ringing');
          assert.equal(state.clientAction, null);
          assert.deepEqual((state.actions as Array<{ action: string; status: number }>).map((a) => [a.action, a.status]), [['acceptWithPhoneAudio', 409]]);
          assert.deepEqual(of(id, await eventsBeforeMarker(sim, 'alexw@example.com', ep.reader)).filter((e) => e.type === 'completed'), [], 'no completion');
          // Declining still works.
          assert.equal((await ep.s.post(link(r, 'decline'))).status, 204);
          assertFailure(await completed(ep, id, 'audioVideo'), 'Declined');
        });
      }

      it('audio/video acceptWithAnswer takes an SDP answer (204) and refuses other bodies (415)', async () => {
        const sim = await sims.start();
        const ep = await endpoint(sim, format, ['Audio']);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'audioVideo' });
        const r = (await started(ep, id, 'audioVideo')).resource!;
        const href = `${link(r, 'acceptWithAnswer')}?sessionContext=${encodeURIComponent(text(r, 'sessionContext')!)}`;
        await ep.s.expectError(ep.s.post(href, { sdp: 'v=0' }), 415, 'UnsupportedMediaType');
        await ep.s.expectError(ep.s.request('POST', href, { body: '', headers: { 'Content-Type': 'application/sdp' } }), 400, 'BadRequest');
        assert.equal((await invitationState(sim, id)).state, 'ringing');
        const answer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=answer\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
        const res = await ep.s.request('POST', href, { body: answer, headers: { 'Content-Type': 'application/sdp' } });
        assert.equal(res.status, 204);
        assert.equal((await completed(ep, id, 'audioVideo')).status, 'Success');
        assert.equal((await invitationState(sim, id)).clientAction, 'acceptWithAnswer');
      });

      for (const completedInvitations of ['kept', 'removed'] as const) {
        it(`GET on a completed invitation, completedInvitations ${completedInvitations}: ${completedInvitations === 'kept' ? 'its final state' : '404'}`, async () => {
          const sim = await sims.start({ completedInvitations });
          const ep = await endpoint(sim, format);
          const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting' });
          const st = await started(ep, id, 'onlineMeeting');
          assert.equal(text(ep.s.resource(await ep.s.get(st.link.href)), 'state'), 'Connecting', 'readable while it rings');
          assert.equal((await ep.s.post(link(st.resource!, 'accept'))).status, 204);
          assert.equal((await completed(ep, id, 'onlineMeeting')).status, 'Success');
          if (completedInvitations === 'kept') assert.equal(text(ep.s.resource(await ep.s.get(st.link.href)), 'state'), 'Connected');
          else await ep.s.expectError(ep.s.get(st.link.href), 404, 'NotFound', 'ResourceNotFound');
        });
      }

      for (const behaviour of ['notFound', 'conflict', 'acceptedThenFailed'] as const) {
        it(`answers a late accept (after the caller cancelled) per lateActionBehaviour ${behaviour}`, async () => {
          const sim = await sims.start({ lateActionBehaviour: behaviour });
          const ep = await endpoint(sim, format);
          const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
          const accept = link((await started(ep, id, 'messaging')).resource!, 'accept');
          await admin(sim, 'POST', `/_sim/invitations/${id}/cancel`);
          assertFailure(await completed(ep, id, 'messaging'), 'Canceled');
          const res = await ep.s.post(accept);
          await assertLate(ep, id, res, behaviour, 'Canceled');
        });

        it(`answers a second accept per lateActionBehaviour ${behaviour}`, async () => {
          const sim = await sims.start({ lateActionBehaviour: behaviour });
          const ep = await endpoint(sim, format);
          const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting' });
          const accept = link((await started(ep, id, 'onlineMeeting')).resource!, 'accept');
          assert.equal((await ep.s.post(accept)).status, 204);
          assert.equal((await completed(ep, id, 'onlineMeeting')).status, 'Success');
          const second = await ep.s.post(accept);
          if (behaviour === 'acceptedThenFailed') {
            // A connected invitation is not failed by a repeated accept: 204, and no event about it follows.
            assert.equal(second.status, 204);
            assert.deepEqual(of(id, await eventsBeforeMarker(sim, 'alexw@example.com', ep.reader)), []);
          } else {
            await assertLate(ep, id, second, behaviour, undefined, 'onlineMeeting');
          }
          // The first accept stands.
          assert.equal((await invitationState(sim, id)).state, 'connected');
        });
      }

      it('acceptedThenFailed: a second accept while waiting in the lobby changes nothing; admit still connects', async () => {
        const sim = await sims.start({ lateActionBehaviour: 'acceptedThenFailed' });
        const ep = await endpoint(sim, format);
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', lobby: true });
        const accept = link((await started(ep, id, 'onlineMeeting')).resource!, 'accept');
        assert.equal((await ep.s.post(accept)).status, 204);
        await ep.reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'conversation' && text(e.resource!, 'state') === 'InLobby'));
        assert.equal((await ep.s.post(accept)).status, 204);
        assert.deepEqual(of(id, await eventsBeforeMarker(sim, 'alexw@example.com', ep.reader)).filter((e) => e.type === 'completed'), []);
        assert.equal((await invitationState(sim, id)).state, 'inLobby');
        assert.equal((await admin(sim, 'POST', `/_sim/invitations/${id}/admit`)).status, 200);
        const done = of(id, await ep.reader.until(has(id, 'completed'))).filter((e) => e.type === 'completed');
        assert.deepEqual(done.map((e) => e.status), ['Success']);
      });

      describe('resume (a server state reset)', () => {
        it("closes the application's conversations and ends its ringing invitations, silently; other applications go on", async () => {
          // conflict: a late action on an invitation that still existed would answer 409, a forgotten one 404.
          const sim = await sims.start({ lateActionBehaviour: 'conflict' });
          const ep = await endpoint(sim, format);
          const other = await endpoint(sim, format, ['Messaging'], 'meganb@example.com');
          const ringing = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', subject: 'ringing' });
          const connected = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', subject: 'connected' });
          const lobby = await invite(sim, { to: 'alexw@example.com', kind: 'onlineMeeting', lobby: true, subject: 'lobby' });
          const theirs = await invite(sim, { to: 'meganb@example.com', kind: 'messaging', subject: 'not reset' });
          const accept = link((await started(ep, ringing.id, 'messaging')).resource!, 'accept');
          const ringingHref = (await started(ep, ringing.id, 'messaging')).link.href;
          assert.equal((await ep.s.post(link((await started(ep, connected.id, 'onlineMeeting')).resource!, 'accept'))).status, 204);
          assert.equal((await ep.s.post(link((await started(ep, lobby.id, 'onlineMeeting')).resource!, 'accept'))).status, 204);
          await completed(ep, connected.id, 'onlineMeeting');
          await ep.reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'conversation' && text(e.resource!, 'state') === 'InLobby'));
          const convHref = link(ep.app.resource.embedded.communication[0], 'conversations');
          const active = async (e: Endpoint) => e.s.resource(await e.s.get(convHref.replace(ep.app.href, e.app.href))).embedded.conversation ?? [];
          assert.equal((await active(ep)).length, 3);
          // An invitation queued but not yet delivered when the state goes goes with it.
          const undelivered = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', subject: 'queued' });

          const r = await admin(sim, 'POST', '/_sim/faults', { kind: 'resume', user: 'alexw@example.com' });
          assert.equal(r.status, 201);
          assert.deepEqual([r.json.affected, r.json.endedInvitations], [1, 4]);
          const page = await ep.reader.poll();
          assert.deepEqual(page.linkRels, ['resume', 'self']);
          assert.deepEqual(page.events, [], 'the state is gone: no events describe it, not even the queued ones');
          // Nothing about them follows either.
          const later = await eventsBeforeMarker(sim, 'alexw@example.com', ep.reader);
          for (const id of [ringing.id, connected.id, lobby.id, undelivered.id]) assert.deepEqual(of(id, later), [], `no event of ${id}`);
          assert.deepEqual(later.filter((e) => e.link.rel === 'conversation'), []);

          assert.deepEqual(await active(ep), [], 'no active conversation');
          await ep.s.expectError(ep.s.get(ringingHref), 404, 'NotFound', 'ResourceNotFound');
          await ep.s.expectError(ep.s.post(accept), 404, 'NotFound', 'ResourceNotFound');
          for (const id of [ringing.id, connected.id, lobby.id, undelivered.id]) {
            const st = await invitationState(sim, id);
            assert.equal(st.state, 'gone', id);
            assert.deepEqual((st.endpoints as Array<{ state: string }>).map((e) => e.state), ['gone']);
          }
          // The caller's side cannot cancel or admit what no longer exists.
          assert.equal((await admin(sim, 'POST', `/_sim/invitations/${ringing.id}/cancel`)).status, 409);
          assert.equal((await admin(sim, 'POST', `/_sim/invitations/${lobby.id}/admit`)).status, 409);

          // Another user's application is untouched, and the reset application receives new invitations.
          assert.equal((await active(other)).length, 1);
          const theirAccept = link((await started(other, theirs.id, 'messaging')).resource!, 'accept');
          assert.equal((await other.s.post(theirAccept)).status, 204);
          assert.equal((await completed(other, theirs.id, 'messaging')).status, 'Success');
          const fresh = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', subject: 'after the reset' });
          assert.equal((await ep.s.post(link((await started(ep, fresh.id, 'messaging')).resource!, 'accept'))).status, 204);
          assert.equal((await completed(ep, fresh.id, 'messaging')).status, 'Success');
        });
      });
    });
  }

  async function assertLate(ep: Endpoint, id: string, res: Awaited<ReturnType<Session['post']>>, behaviour: string, subcode: string | undefined, kind: Kind = 'messaging'): Promise<void> {
    if (behaviour === 'notFound') {
      await ep.s.expectError(res, 404, 'NotFound');
    } else if (behaviour === 'conflict') {
      await ep.s.expectError(res, 409, 'Conflict');
    } else {
      assert.equal(res.status, 204);
      // The truth follows in the event channel: a second completion, with Failure.
      await ep.reader.until((all) => of(id, all).filter((e) => e.type === 'completed').length >= 2);
      const last = of(id, ep.reader.all).filter((e) => e.type === 'completed' && e.link.rel === REL[kind]).pop()!;
      assert.equal(last.status, 'Failure');
      if (subcode) assert.equal(last.reason?.subcode, subcode);
      else assert.ok(last.reason?.subcode);
    }
  }
});
