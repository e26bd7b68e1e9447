// Applications: creation in every body form, the documented links and embedded resources, GET/DELETE, the per-user
// limit, reaping after the P-GET idle and activity windows, makeMeAvailable and reportMyActivity.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { App, embedded, waitParked, FORMATS, hasLink, link, list, randomEndpoint, Session, text, UCWA_NS, useSimulators } from './helpers';

const APPS = '/ucwa/oauth/v1/applications';

describe('simulator: applications', () => {
  const sims = useSimulators();

  for (const format of FORMATS) {
    describe(`in ${format}`, () => {
      function assertApplicationShape(app: App, userAgent: string, endpointId: string): void {
        const r = app.resource;
        assert.equal(r.rel, 'application');
        assert.match(r.href, /^\/ucwa\/oauth\/v1\/applications\/\d{9,}$/);
        for (const rel of ['self', 'policies', 'batch', 'events']) assert.ok(hasLink(r, rel), `application link ${rel}`);
        assert.equal(link(r, 'events'), `${r.href}/events?ack=1`);
        assert.deepEqual(Object.keys(r.embedded).sort(), ['communication', 'me', 'onlineMeetings', 'people']);
        assert.equal(text(r, 'userAgent'), userAgent);
        assert.equal(text(r, 'endpointId'), endpointId);
        assert.equal(text(r, 'culture'), 'en-US');
        const me = embedded(r, 'me');
        assert.equal(text(me, 'uri'), 'sip:alexw@example.com');
        assert.equal(text(me, 'name'), 'Alex Wilber');
        assert.deepEqual(Object.keys(me.links).sort(), ['makeMeAvailable', 'photo', 'self']);
        const people = embedded(r, 'people');
        for (const rel of ['presenceSubscriptions', 'myContacts', 'search']) assert.ok(hasLink(people, rel), `people link ${rel}`);
        const meetings = embedded(r, 'onlineMeetings');
        for (const rel of ['myOnlineMeetings', 'myAssignedOnlineMeeting']) assert.ok(hasLink(meetings, rel), `onlineMeetings link ${rel}`);
        const comm = embedded(r, 'communication');
        for (const rel of ['conversations', 'startMessaging', 'startOnlineMeeting', 'joinOnlineMeeting']) assert.ok(hasLink(comm, rel), `communication link ${rel}`);
        // The randomly named property a PUT must echo.
        assert.ok(Object.values(comm.props).includes('please pass this in a PUT request'));
      }

      it('creates an application from a PascalCase JSON body (201 with links, embedded resources and headers)', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const endpointId = randomEndpoint();
        const res = await s.post(APPS, { UserAgent: 'Pascal/1.0', EndpointId: endpointId, Culture: 'en-US' });
        assert.equal(res.status, 201);
        const app = new App(s, s.resource(res));
        assertApplicationShape(app, 'Pascal/1.0', endpointId);
        assert.equal(res.headers.location, app.href);
        assert.match(String(res.headers.etag), /^"\d+"$/);
        assert.match(String(res.headers['set-cookie']), new RegExp(`^cwt_ucwa=[^;]+; path=${app.href}/photos; secure; HttpOnly$`));
      });

      it('creates an application from a camelCase JSON body', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const res = await s.post(APPS, { userAgent: 'camel/2.0', endpointId: 'camel-endpoint', culture: 'en-US' });
        assert.equal(res.status, 201);
        assertApplicationShape(new App(s, s.resource(res)), 'camel/2.0', 'camel-endpoint');
      });

      it('creates an application from an XML <input> body, keeping values exactly as sent', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const xml =
          `<?xml version="1.0" encoding="utf-8"?><input xmlns="${UCWA_NS}">` +
          '<property name="culture">en-US</property><property name="endpointId">007</property>' +
          '<property name="userAgent">Sim &amp; Tests/1.0</property></input>';
        const res = await s.request('POST', APPS, { body: xml, headers: { 'Content-Type': 'application/vnd.microsoft.com.ucwa+xml' } });
        assert.equal(res.status, 201, res.body);
        assertApplicationShape(new App(s, s.resource(res)), 'Sim & Tests/1.0', '007');
      });

      for (const missing of ['UserAgent', 'EndpointId', 'Culture']) {
        it(`answers 400 ParameterValidationFailure without ${missing}`, async () => {
          const sim = await sims.start();
          const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
          const input: Record<string, string> = { UserAgent: 'x/1', EndpointId: 'e1', Culture: 'en-US' };
          delete input[missing];
          const reason = await s.expectError(s.post(APPS, input), 400, 'BadRequest', 'ParameterValidationFailure');
          assert.match(reason.message ?? '', new RegExp(missing, 'i'));
        });
      }

      it('answers a malformed body with 400 BadRequest', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        await s.expectError(s.request('POST', APPS, { body: '{"UserAgent":', headers: { 'Content-Type': 'application/json' } }), 400, 'BadRequest');
      });

      it('GETs the application, DELETEs it with 204, then answers 404 ApplicationNotFound everywhere under it', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication({ UserAgent: 'get-delete/1' });
        const parked = s.get(`${app.eventsHref}&timeout=1800`);
        await waitParked(sim, app.id);
        const got = await s.get(app.href);
        assert.equal(got.status, 200);
        assert.equal(text(s.resource(got), 'userAgent'), 'get-delete/1');
        const listed = s.resource(await s.get(APPS));
        assert.deepEqual(listed.embedded.application?.map((a) => a.href), [app.href]);
        const del = await s.request('DELETE', app.href);
        assert.equal(del.status, 204);
        assert.equal(del.body, '');
        // Signing out ends the parked P-GET too.
        await s.expectError(parked, 404, 'NotFound', 'ApplicationNotFound');
        await s.expectError(s.get(app.href), 404, 'NotFound', 'ApplicationNotFound');
        await s.expectError(s.get(app.eventsHref), 404, 'NotFound', 'ApplicationNotFound');
        await s.expectError(s.post(link(app.me, 'makeMeAvailable'), { SupportedModalities: ['Messaging'] }), 404, 'NotFound', 'ApplicationNotFound');
      });

      it("refuses another user's application", async () => {
        const sim = await sims.start();
        const alex = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const megan = await Session.signIn(sim.origin, 'meganb@example.com', format);
        const app = await alex.createApplication();
        await megan.expectError(megan.get(app.href), 403, 'Forbidden');
      });

      it('evicts the oldest application with 410 TooManyApplications over the per-user limit', async () => {
        const sim = await sims.start({ maxApplicationsPerUser: 2 });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const other = await Session.signIn(sim.origin, 'meganb@example.com', format);
        const theirs = await other.createApplication();
        const first = await s.createApplication();
        const second = await s.createApplication();
        assert.equal((await s.get(first.href)).status, 200);
        const parked = s.get(`${first.eventsHref}&timeout=1800`);
        await waitParked(sim, first.id);
        const third = await s.createApplication();
        await s.expectError(parked, 410, 'Gone', 'TooManyApplications');
        await s.expectError(s.get(first.href), 410, 'Gone', 'TooManyApplications');
        await s.expectError(s.get(first.eventsHref), 410, 'Gone', 'TooManyApplications');
        assert.equal((await s.get(second.href)).status, 200);
        assert.equal((await s.get(third.href)).status, 200);
        assert.equal((await other.get(theirs.href)).status, 200);
      });

      it('makeMeAvailable answers 204, then 409 AlreadyExists on a repeat', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        const href = link(app.me, 'makeMeAvailable');
        const first = await s.post(href, { SupportedModalities: ['Messaging'] });
        assert.equal(first.status, 204);
        await s.expectError(s.post(href, { SupportedModalities: ['Messaging'] }), 409, 'Conflict', 'AlreadyExists');
      });

      it('makeMeAvailable refuses an unknown modality with 400, and Audio/Video with 403 where policy says so', async () => {
        const sim = await sims.start({ refuseAudioVideoModalities: true });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        const href = link(app.me, 'makeMeAvailable');
        await s.expectError(s.post(href, { SupportedModalities: ['Telepathy'] }), 400, 'BadRequest', 'ParameterValidationFailure');
        await s.expectError(s.post(href, { SupportedModalities: ['Messaging', 'Audio'] }), 403, 'Forbidden');
        assert.equal((await s.post(href, { SupportedModalities: ['Messaging', 'PhoneAudio'] })).status, 204);
      });

      it('reportMyActivity answers 409 MakeMeAvailableRequired before makeMeAvailable and 204 after; its link appears only then', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        assert.equal(hasLink(app.me, 'reportMyActivity'), false);
        // The link is not offered yet, so the request goes where the server will later point it.
        const reportHref = `${app.me.href}/reportMyActivity`;
        await s.expectError(s.post(reportHref), 409, 'Conflict', 'MakeMeAvailableRequired');
        await app.makeMeAvailable(['Messaging']);
        const me = embedded(s.resource(await s.get(app.href)), 'me');
        for (const rel of ['reportMyActivity', 'presence', 'note', 'location']) assert.ok(hasLink(me, rel), `me link ${rel} after makeMeAvailable`);
        assert.equal(link(me, 'reportMyActivity'), reportHref);
        const ok = await s.post(link(me, 'reportMyActivity'));
        assert.equal(ok.status, 204);
        const comm = embedded(s.resource(await s.get(app.href)), 'communication');
        assert.deepEqual(list(comm, 'supportedModalities'), ['Messaging']);
      });

      it('accepts makeMeAvailable as an XML <input> with a propertyList', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        const xml = `<input xmlns="${UCWA_NS}"><propertyList name="supportedModalities"><item>Messaging</item><item>PhoneAudio</item></propertyList></input>`;
        const res = await s.request('POST', link(app.me, 'makeMeAvailable'), { body: xml, headers: { 'Content-Type': 'application/vnd.microsoft.com.ucwa+xml' } });
        assert.equal(res.status, 204, res.body);
        const comm = embedded(s.resource(await s.get(app.href)), 'communication');
        assert.deepEqual(list(comm, 'supportedModalities'), ['Messaging', 'PhoneAudio']);
      });
    });
  }

  describe('reaping (fake clock, documented durations)', () => {
    let clock: sinon.SinonFakeTimers | undefined;
    afterEach(() => {
      clock?.restore();
      clock = undefined;
    });
    const fake = () => (clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] }));

    for (const format of FORMATS) {
      it(`reaps an application that never parks a P-GET after the initial idle window (${format})`, async () => {
        const sim = await sims.start({ timeScale: 1, pgetInitialIdleTimeoutSeconds: 7200 });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const c = fake();
        const app = await s.createApplication();
        c.tick(7_199_000);
        assert.equal((await s.get(app.href)).status, 200);
        c.tick(1_000);
        await s.expectError(s.get(app.href), 404, 'NotFound', 'ApplicationNotFound');
      });

      it(`reaps an application 300 s after its P-GET was released without a new one: 404 by default (${format})`, async () => {
        const sim = await sims.start({ timeScale: 1, pgetIdleTimeoutSeconds: 300 });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const c = fake();
        const app = await s.createApplication();
        const reader = app.events();
        const pget = reader.poll({ timeout: 180 });
        await waitParked(sim, app.id);
        c.tick(180_000);
        const page = await pget;
        assert.equal(page.events.length, 0);
        c.tick(299_000);
        assert.equal((await s.get(app.href)).status, 200);
        c.tick(1_000);
        await s.expectError(s.get(app.href), 404, 'NotFound', 'ApplicationNotFound');
        await s.expectError(s.get(reader.nextHref), 404, 'NotFound', 'ApplicationNotFound');
      });

      it(`answers 410 InactiveApplicationExpired after the idle window when applicationGoneStatus is 410 (${format})`, async () => {
        const sim = await sims.start({ timeScale: 1, pgetIdleTimeoutSeconds: 300, applicationGoneStatus: 410 });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const c = fake();
        const app = await s.createApplication();
        const pget = app.events().poll({ timeout: 180 });
        await waitParked(sim, app.id);
        c.tick(180_000);
        await pget;
        c.tick(300_000);
        await s.expectError(s.get(app.href), 410, 'Gone', 'InactiveApplicationExpired');
      });

      it(`does not reap while a P-GET is parked (${format})`, async () => {
        const sim = await sims.start({ timeScale: 1, pgetIdleTimeoutSeconds: 300, pgetInitialIdleTimeoutSeconds: 600 });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const c = fake();
        const app = await s.createApplication();
        const pget = app.events().poll({ timeout: 1800 });
        await waitParked(sim, app.id);
        c.tick(1_700_000);
        assert.equal((await s.get(app.href)).status, 200);
        c.tick(100_000);
        assert.equal((await pget).events.length, 0);
      });

      for (const goneStatus of [404, 410] as const) {
        it(`reaps an available application that stops reporting activity (${goneStatus}, ${format})`, async () => {
          const sim = await sims.start({ timeScale: 1, activityTimeoutSeconds: 7200, applicationGoneStatus: goneStatus });
          const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
          const c = fake();
          const app = await s.createApplication();
          await app.makeMeAvailable();
          const me = embedded(s.resource(await s.get(app.href)), 'me');
          c.tick(7_100_000);
          assert.equal((await s.post(link(me, 'reportMyActivity'))).status, 204);
          c.tick(7_100_000);
          assert.equal((await s.get(app.href)).status, 200, 'reportMyActivity restarted the activity window');
          // The makeMeAvailable events come after the medium window (5 s)...
          const reader = app.events();
          const first = reader.poll({ timeout: 1800 });
          await waitParked(sim, app.id);
          c.tick(5_000);
          assert.equal((await first).events.length, 3);
          // ...and a parked P-GET does not keep alive an application whose user reports no activity.
          const pget = s.get(reader.withParams(reader.nextHref, { timeout: 1800 }));
          await waitParked(sim, app.id);
          c.tick(95_000);
          const [code, subcode] = goneStatus === 410 ? ['Gone', 'InactiveApplicationExpired'] : ['NotFound', 'ApplicationNotFound'];
          await s.expectError(pget, goneStatus, code, subcode);
          await s.expectError(s.get(app.href), goneStatus, code, subcode);
        });
      }
    }
  });
});
