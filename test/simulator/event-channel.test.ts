// The event channel: long poll with timeout, ack numbering, re-delivery, resync, resume, PGetReplaced and priority,
// sender grouping, and release by priority (high at once, medium after its aggregation window).
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { UcwaSimulator } from '../../src/simulator';
import { rawRequest } from '../support/raw-http';
import { admin, App, describeEvents, FORMATS, invite, link, mustFind, parseEvents, Session, useSimulators, waitParked } from './helpers';

/** The simulator's view of an application's channel right now: a P-GET parked, and how many events wait. */
async function channel(sim: UcwaSimulator, appId: string): Promise<{ parked: boolean; queued: number }> {
  const apps = (await admin(sim, 'GET', '/_sim/applications')).json as unknown as Array<{ id: string; parked: boolean; queued: number }>;
  const app = apps.find((a) => a.id === appId);
  assert.ok(app, `application ${appId}`);
  return { parked: app.parked, queued: app.queued };
}

/** A promise's state without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('simulator: event channel', () => {
  const sims = useSimulators();
  // Fake clock for the "nothing happens before the window ends" checks: time moves only when a test ticks it.
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });
  const fake = () => (clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] }));

  for (const format of FORMATS) {
    describe(`in ${format}`, () => {
      async function setup(options = {}): Promise<{ sim: Awaited<ReturnType<typeof sims.start>>; s: Session; app: App }> {
        const sim = await sims.start(options);
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        return { sim, s, app: await s.createApplication() };
      }

      it('answers a long poll with links only (no sender) when the timeout passes', async () => {
        const { s, app } = await setup();
        const res = await s.get(`${app.eventsHref}&timeout=180`);
        assert.equal(res.status, 200);
        const page = parseEvents(format, res.body);
        assert.deepEqual(page.linkRels, ['next', 'self']);
        assert.equal(page.senders.length, 0);
        if (format === 'json') assert.equal('sender' in (JSON.parse(res.body) as object), false);
        else assert.doesNotMatch(res.body, /<sender/);
      });

      it('numbers answers: ack=k is answered with self ack=k and next ack=k+1', async () => {
        const { app } = await setup();
        const reader = app.events();
        const base = app.eventsHref.replace(/\?ack=1$/, '');
        for (let k = 1; k <= 3; k++) {
          const page = await reader.poll({ timeout: 180 });
          assert.equal(page.self, `${base}?ack=${k}`);
          assert.equal(page.next, `${base}?ack=${k + 1}`);
        }
      });

      it('re-delivers the identical batch when an ack is repeated, until the next one is used', async () => {
        const { s, app } = await setup();
        await app.makeMeAvailable();
        const url = `${app.eventsHref}&medium=5`;
        const first = await s.get(url);
        const page = parseEvents(format, first.body);
        assert.equal(page.events.length, 3, describeEvents(page.events));
        const again = await s.get(url);
        assert.equal(again.status, 200);
        assert.equal(again.body, first.body, 'byte-identical re-delivery');
        // Using next acknowledges the batch: the old URL is now out of range.
        const next = await s.get(`${page.next}&timeout=180`);
        assert.equal(parseEvents(format, next.body).events.length, 0);
        const stale = parseEvents(format, (await s.get(url)).body);
        assert.deepEqual(stale.linkRels, ['resync']);
      });

      it('answers an out-of-range ack with only a resync link to the first unacknowledged batch', async () => {
        const { s, app } = await setup();
        await app.makeMeAvailable();
        const first = await s.get(`${app.eventsHref}&medium=5`);
        for (const ack of [0, 7, 99]) {
          const res = await s.get(app.eventsHref.replace(/ack=1$/, `ack=${ack}`));
          assert.equal(res.status, 200);
          const page = parseEvents(format, res.body);
          assert.deepEqual(page.linkRels, ['resync'], `ack=${ack}`);
          assert.equal(page.senders.length, 0);
          assert.equal(page.resync, app.eventsHref);
          if (format === 'json') assert.deepEqual(JSON.parse(res.body), { _links: { resync: { href: app.eventsHref } } });
        }
        // Following resync brings back the batch not yet acknowledged.
        const resent = await s.get(app.eventsHref);
        assert.equal(resent.body, first.body);
      });

      it('the resync fault answers the parked P-GET with resync, and an idle channel on its next P-GET', async () => {
        const { sim, app } = await setup();
        const reader = app.events();
        const parked = reader.poll({ timeout: 1800 });
        await waitParked(sim, app.id);
        const fault = await admin(sim, 'POST', '/_sim/faults', { kind: 'resync', user: 'alexw@example.com' });
        assert.equal(fault.status, 201);
        assert.equal(fault.json.affected, 1);
        const page = await parked;
        assert.deepEqual(page.linkRels, ['resync']);
        assert.equal(page.resync, app.eventsHref);
        const normal = await reader.poll({ timeout: 180 });
        assert.deepEqual(normal.linkRels, ['next', 'self']);
        // Not parked: the next P-GET gets the resync.
        await admin(sim, 'POST', '/_sim/faults', { kind: 'resync' });
        const later = await reader.poll({ timeout: 180 });
        assert.deepEqual(later.linkRels, ['resync']);
        assert.equal(later.resync, normal.next);
      });

      it('the resume fault answers with resume instead of next, which then works like next', async () => {
        const { sim, app } = await setup();
        const reader = app.events();
        const parked = reader.poll({ timeout: 1800 });
        await waitParked(sim, app.id);
        assert.equal((await admin(sim, 'POST', '/_sim/faults', { kind: 'resume', user: 'alexw@example.com' })).status, 201);
        const page = await parked;
        assert.deepEqual(page.linkRels, ['resume', 'self']);
        assert.equal(page.self, app.eventsHref);
        assert.equal(page.resume, app.eventsHref.replace(/ack=1$/, 'ack=2'));
        const after = await reader.poll({ timeout: 180 });
        assert.equal(after.self, page.resume);
        assert.deepEqual(after.linkRels, ['next', 'self']);
      });

      it('answers the parked P-GET with 409 PGetReplaced when another arrives; the newer one stays parked', async () => {
        const { sim, s, app } = await setup();
        await app.makeMeAvailable();
        const url = `${app.eventsHref}&timeout=1800&medium=1800`;
        const older = s.get(url);
        await waitParked(sim, app.id);
        const newer = s.get(url);
        await s.expectError(older, 409, 'Conflict', 'PGetReplaced');
        await waitParked(sim, app.id);
        assert.equal(await settled(newer), false);
        await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        const res = await newer;
        assert.equal(res.status, 200);
        mustFind(parseEvents(format, res.body).events, 'started', 'messagingInvitation');
      });

      it('lets priority decide: a lower priority newcomer is refused, an equal or higher one replaces', async () => {
        const { sim, s, app } = await setup();
        const url = (p: number) => `${app.eventsHref}&timeout=1800&priority=${p}`;
        const high = s.get(url(5));
        await waitParked(sim, app.id);
        await s.expectError(s.get(url(1)), 409, 'Conflict', 'PGetReplaced');
        assert.equal(await settled(high), false, 'the higher priority P-GET is still parked');
        const equal = s.get(url(5));
        await s.expectError(high, 409, 'Conflict', 'PGetReplaced');
        const higher = s.get(url(9));
        await s.expectError(equal, 409, 'Conflict', 'PGetReplaced');
        await waitParked(sim, app.id);
        await admin(sim, 'POST', '/_sim/faults', { kind: 'resume' });
        assert.equal((await higher).status, 200);
      });

      it('keeps the batch for the next P-GET when the client gives up on a parked one', async () => {
        const { sim, s, app } = await setup();
        await app.makeMeAvailable();
        const ac = new AbortController();
        const gaveUp = s.get(`${app.eventsHref}&timeout=1800&medium=1800`, { signal: ac.signal });
        await waitParked(sim, app.id);
        ac.abort();
        await assert.rejects(gaveUp);
        await waitParked(sim, app.id, false);
        await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        const page = parseEvents(format, (await s.get(app.eventsHref)).body);
        assert.equal(page.self, app.eventsHref);
        mustFind(page.events, 'updated', 'me');
        mustFind(page.events, 'started', 'messagingInvitation');
      });

      it('groups consecutive events by sender and keeps their order (a sender may come back)', async () => {
        const { sim, s, app } = await setup({ invitationUpdateDelaySeconds: 0 });
        await app.makeMeAvailable();
        const reader = app.events();
        const { id } = await invite(sim, { to: 'alexw@example.com', kind: 'messaging', message: 'hi' });
        const events = await reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'messagingInvitation'), { medium: 5 });
        const accept = link(mustFind(events, 'started', 'messagingInvitation').resource!, 'accept');
        const before = reader.pages.length;
        assert.equal((await s.post(accept)).status, 204);
        await reader.until((all) => all.some((e) => e.type === 'completed' && e.link.rel === 'message'));
        const batches = reader.pages.slice(before).filter((p) => p.events.length > 0);
        assert.equal(batches.length, 1, 'the accept sequence travels in one batch');
        const b = batches[0];
        assert.deepEqual(
          b.senders.map((x) => [x.rel, x.events.map((e) => `${e.type} ${e.link.rel}`)]),
          [
            ['conversation', ['updated messaging']],
            ['communication', ['updated conversation', 'completed messagingInvitation']],
            ['conversation', ['completed message']],
          ],
        );
        // The same conversation sender appears twice, with the same href.
        assert.equal(b.senders[0].href, b.senders[2].href);
        assert.equal((await admin(sim, 'GET', `/_sim/invitations/${id}`)).json.state, 'connected');
      });

      it('releases medium-priority events after the medium window, not before the hold timeout', async () => {
        // Scale 0.01: medium=5 s is 50 ms, the hold of 1800 s would be 18 s (beyond this request's bound).
        const { s, app } = await setup({ timeScale: 0.01 });
        await app.makeMeAvailable();
        const res = await s.get(`${app.eventsHref}&timeout=1800&medium=5`, { timeoutMs: 5000 });
        const page = parseEvents(format, res.body);
        assert.deepEqual(
          page.senders.map((x) => [x.rel, x.events.map((e) => `${e.type} ${e.link.rel}`)]),
          [
            ['me', ['updated me', 'added presence']],
            ['communication', ['updated communication']],
          ],
        );
      });

      it('holds low and medium events, keeps only the latest medium update of a resource, and releases with a high one', async () => {
        const { sim, s, app } = await setup({ timeScale: 1 });
        const c = fake();
        const pget = s.get(`${app.eventsHref}&timeout=1800&medium=1800&low=1800`, { timeoutMs: 5000 });
        await waitParked(sim, app.id);
        const inject = async (body: Record<string, unknown>) => assert.equal((await admin(sim, 'POST', '/_sim/events', { user: 'alexw@example.com', ...body })).status, 201);
        await inject({ senderRel: 'people', rel: 'group', type: 'added', priority: 'low' });
        await inject({ senderRel: 'people', rel: 'contactPresence', type: 'updated', priority: 'medium', title: 'first' });
        await inject({ senderRel: 'people', rel: 'contactPresence', type: 'updated', priority: 'medium', title: 'second' });
        c.tick(1_799_999);
        assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 2 }, 'low and medium events do not release the P-GET before their windows end');
        await inject({ senderRel: 'communication', rel: 'conversation', type: 'added', priority: 'high' });
        const page = parseEvents(format, (await pget).body);
        assert.deepEqual(
          page.events.map((e) => `${e.sender.rel}:${e.type} ${e.link.rel}${e.link.title ? ` ${e.link.title}` : ''}`),
          ['people:added group', 'people:updated contactPresence second', 'communication:added conversation'],
        );
      });

      it('holds medium events for their window but lets a high-priority invitation release the P-GET at once', async () => {
        const { sim, s, app } = await setup({ timeScale: 1 });
        const c = fake();
        await app.makeMeAvailable();
        const pget = s.get(`${app.eventsHref}&timeout=1800&medium=1800`, { timeoutMs: 5000 });
        await waitParked(sim, app.id);
        c.tick(1_799_999);
        assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 3 }, 'medium events do not release the P-GET before their window ends');
        await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
        const page = parseEvents(format, (await pget).body);
        // The queued lower-priority events travel ahead of the invitation, in one batch.
        assert.deepEqual(
          page.events.map((e) => `${e.sender.rel}:${e.type} ${e.link.rel}`),
          ['me:updated me', 'me:added presence', 'communication:updated communication', 'communication:started messagingInvitation', 'communication:added conversation', 'conversation:added localParticipant'],
        );
      });

      it('releases low-priority events when the low window ends (15 s by default, then as the client sets it), not before', async () => {
        const { sim, app } = await setup({ timeScale: 1 });
        const c = fake();
        const reader = app.events();
        const inject = async () => assert.equal((await admin(sim, 'POST', '/_sim/events', { user: 'alexw@example.com', senderRel: 'people', rel: 'group', type: 'added', priority: 'low' })).status, 201);
        for (const [params, windowMs] of [[{ timeout: 1800 }, 15_000], [{ low: 40 }, 40_000]] as const) {
          const pget = reader.poll(params);
          await waitParked(sim, app.id);
          await inject();
          c.tick(windowMs - 1);
          assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 1 }, `held until ${windowMs} ms`);
          c.tick(1);
          const page = await pget;
          assert.deepEqual(page.events.map((e) => `${e.sender.rel}:${e.type} ${e.link.rel}`), ['people:added group']);
          assert.deepEqual(page.linkRels, ['next', 'self']);
        }
      });

      it('clamps timeout to 180..1800 s: timeout=1 holds for 180 s, timeout=99999 for 1800 s', async () => {
        const { sim, app } = await setup({ timeScale: 1 });
        const c = fake();
        const reader = app.events();
        for (const [timeout, holdMs] of [[1, 180_000], [99999, 1_800_000]] as const) {
          const pget = reader.poll({ timeout });
          await waitParked(sim, app.id);
          c.tick(holdMs - 1);
          assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 0 }, `timeout=${timeout} still held at ${holdMs - 1} ms`);
          c.tick(1);
          const page = await pget;
          assert.deepEqual(page.linkRels, ['next', 'self']);
          assert.equal(page.events.length, 0);
        }
      });

      it('clamps medium and low windows to at least 5 s: medium=0 and low=1 release after 5 s', async () => {
        const { sim, s, app } = await setup({ timeScale: 1 });
        const c = fake();
        await app.makeMeAvailable();
        const first = s.get(`${app.eventsHref}&timeout=1800&medium=0&low=1`, { timeoutMs: 5000 });
        await waitParked(sim, app.id);
        c.tick(4_999);
        assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 3 }, 'medium=0 still held at 4999 ms');
        c.tick(1);
        const page = parseEvents(format, (await first).body);
        assert.equal(page.events.length, 3, describeEvents(page.events));
        // low=1 is remembered (clamped to 5) for the next P-GET.
        const second = s.get(page.next!, { timeoutMs: 5000 });
        await waitParked(sim, app.id);
        assert.equal((await admin(sim, 'POST', '/_sim/events', { user: 'alexw@example.com', senderRel: 'people', rel: 'group', type: 'added', priority: 'low' })).status, 201);
        c.tick(4_999);
        assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 1 }, 'low=1 still held at 4999 ms');
        c.tick(1);
        assert.deepEqual(parseEvents(format, (await second).body).events.map((e) => e.link.rel), ['group']);
      });
    });
  }

  it('accepts out-of-range and malformed parameters on a raw events URL, and holds for the clamped timeout (180 s)', async () => {
    const sim = await sims.start({ timeScale: 1 });
    const s = await Session.signIn(sim.origin, 'alexw@example.com');
    const app = await s.createApplication();
    const c = fake();
    const pget = rawRequest(s.url(`${app.eventsHref}&timeout=1&medium=0&low=99999&priority=x`), { headers: { Authorization: `Bearer ${s.token}` } });
    await waitParked(sim, app.id);
    c.tick(179_999);
    assert.deepEqual(await channel(sim, app.id), { parked: true, queued: 0 }, 'timeout=1 is not a 1 s hold');
    c.tick(1);
    const res = await pget;
    assert.equal(res.status, 200);
    assert.deepEqual(parseEvents('json', res.body).linkRels, ['next', 'self']);
  });
});
