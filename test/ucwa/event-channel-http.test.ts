// The event channel against the simulator over real HTTP, in JSON and XML: one P-GET at a time, URLs only as the
// server gave them (plus `timeout`), resync and resume, a competing P-GET (409 PGetReplaced), 429/500/503 with
// Retry-After, a connection reset mid-answer, malformed and HTML bodies, and an answer slower than the client waits.
import assert from 'node:assert/strict';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import { MAX_RETRY_AFTER_MS } from '../../src/ucwa/backoff';
import { UcwaHttpError, UcwaNetworkError } from '../../src/ucwa/errors';
import { EventChannel } from '../../src/ucwa/event-channel';
import { UcwaParseError } from '../../src/ucwa/resource';
import { Representation } from '../../src/ucwa/session';
import { Admin, ALICE, connectClient, ConnectedClient, eventsOf, Exchange, LoggedRequest, PASSWORD, RecordingTransport, runChannel, shortWait, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];

/** Event-channel links a response handed out (read independently of the client's parser). */
function linksGiven(ex: Exchange): string[] {
  const body = ex.response?.body ?? '';
  if (!ex.response || ex.response.status !== 200 || !body) return [];
  let hrefs: string[] = [];
  if (/xml/.test(String(ex.response.headers['content-type']))) {
    hrefs = [...body.matchAll(/<link rel="(?:next|resync|resume|events)" href="([^"]*)"\/>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  } else if (/json/.test(String(ex.response.headers['content-type']))) {
    let links: Record<string, { href?: string }> = {};
    try {
      links = (JSON.parse(body) as { _links?: Record<string, { href?: string }> })._links ?? {};
    } catch {
      return []; // a malformed body gave nothing
    }
    hrefs = ['next', 'resync', 'resume', 'events'].map((rel) => links[rel]?.href).filter((h): h is string => typeof h === 'string');
  }
  return hrefs.map((h) => {
    const u = new URL(h, ex.request.url);
    return u.pathname + u.search;
  });
}

/** Every P-GET the simulator saw is a URL the server gave, with only `&timeout=<n>` appended. */
function assertOnlyGivenUrls(transport: RecordingTransport, log: LoggedRequest[]): number {
  const given = new Set(transport.exchanges.flatMap(linksGiven));
  const pgets = log.filter((r) => r.method === 'GET' && r.path.includes('/events'));
  for (const r of pgets) {
    const m = /^(.*)&timeout=(\d+)$/.exec(r.path);
    assert.ok(m, `the P-GET ${r.path} carries exactly one timeout, appended`);
    assert.ok(given.has(m[1]), `the P-GET ${r.path} is not a URL the server gave (given: ${[...given].join(', ')})`);
    assert.ok(!/[?&]timeout=/.test(m[1]), `${r.path}: two timeouts`);
  }
  return pgets.length;
}

function assertNoReplacedPGets(log: LoggedRequest[]): void {
  assert.deepEqual(
    log.filter((r) => r.path.includes('/events') && r.status === 409),
    [],
    'the simulator never had to replace one of our P-GETs',
  );
}

describe('UCWA event channel over HTTP', () => {
  const sims = useSimulators();
  let transport: RecordingTransport;
  beforeEach(() => (transport = new RecordingTransport()));
  afterEach(() => transport.close());
  const connect = (sim: Parameters<typeof connectClient>[0], representation: Representation = 'json'): Promise<ConnectedClient> =>
    connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation);

  it('refuses to run twice at the same time', async () => {
    const sim = await sims.start();
    const { session, app } = await connect(sim);
    const channel = new EventChannel(session, app.links.events, { onBatch: async () => undefined, backoff: { baseMs: 5, maxMs: 50 } });
    const controller = new AbortController();
    const first = channel.run(controller.signal).catch((e: Error) => e);
    await assert.rejects(channel.run(controller.signal), /already running: two P-GETs must never be in flight/);
    controller.abort();
    assert.equal(((await first) as Error).name, 'AbortError');
    assert.ok(transport.maxEventsInFlight <= 1);
  });

  for (const representation of REPRESENTATIONS) {
    it(`through resync, resume, resets, 5xx, bad bodies and expired tokens: one P-GET at a time, only given URLs, nothing lost (${representation})`, async () => {
      const sim = await sims.start();
      const admin = new Admin(sim);
      const { session, app } = await connect(sim, representation);
      const resets: string[] = [];
      const positions: string[] = [];
      const run = runChannel(session, app.links.events, {
        onReset: async (kind) => {
          resets.push(kind);
        },
        onPosition: (href) => {
          positions.push(href);
        },
      });
      const invited: string[] = [];
      const seen = () => new Set(eventsOf(run.batches.items).filter((e) => e.type === 'started').map((e) => e.link.href.split('/').pop()));
      const faultsInTurn: Array<Record<string, unknown>> = [
        { kind: 'resync' },
        { kind: 'resume' },
        { kind: 'reset', path: '/events' },
        { kind: 'status', path: '/events', status: 500 },
        { kind: 'body', path: '/events', body: 'malformed' },
        { kind: 'body', path: '/events', body: 'html' },
        { kind: 'body', path: '/events', body: 'empty' },
        { kind: 'expireTokens' },
      ];
      try {
        for (const fault of faultsInTurn) {
          await admin.parked(ALICE);
          await admin.fault(fault);
          // resync/resume release the parked P-GET; the others hit the next one, which the invitation provokes.
          const id = await admin.invite({ to: ALICE, kind: 'messaging', subject: `after ${String(fault.kind)}` });
          invited.push(id);
          await run.batches.waitFor(() => invited.every((i) => seen().has(i)), `invitations ${invited.join(', ')}`);
        }
        await admin.parked(ALICE);
      } finally {
        await run.stop();
      }
      assert.deepEqual(resets, ['resync', 'resume']);
      const log = await admin.requests();
      assertNoReplacedPGets(log);
      assert.ok(assertOnlyGivenUrls(transport, log) > faultsInTurn.length);
      assert.equal(transport.maxEventsInFlight, 1, 'never two P-GETs in flight');
      assert.ok(positions.every((p) => p.startsWith(`${sim.origin}/`) && !/timeout=/.test(p)), 'positions are the server URLs, without our parameter');
      const kinds = run.retries.map((r) => r.error.constructor.name);
      assert.ok(kinds.includes('UcwaNetworkError') && kinds.includes('UcwaHttpError') && kinds.includes('UcwaParseError'), kinds.join(', '));
      // The invitation after each fault arrived exactly once (no batch handed over twice).
      const started = eventsOf(run.batches.items).filter((e) => e.type === 'started').map((e) => e.link.href);
      assert.equal(new Set(started).size, started.length);
      assert.equal(started.length, invited.length);
    });
  }

  it('keeps the server URL byte for byte: its own parameters are not re-encoded', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, app } = await connect(sim);
    const opaque = 'opaque=a%20b~c%2bd';
    transport.rewrite = (req, res) => {
      if (!req.url.pathname.endsWith('/events') || res.status !== 200) return res;
      const body = JSON.parse(res.body) as { _links: Record<string, { href: string }> };
      if (body._links.next) body._links.next.href += `&${opaque}`;
      return { ...res, body: JSON.stringify(body) };
    };
    const run = runChannel(session, app.links.events);
    try {
      await admin.until(() => admin.requests({ path: '/events' }), (l) => l.some((r) => r.path.includes('opaque')), 'a P-GET with the opaque parameter');
    } finally {
      await run.stop();
    }
    const withOpaque = (await admin.requests({ path: '/events' })).filter((r) => r.path.includes('opaque'));
    assert.match(withOpaque[0].path, new RegExp(`\\?ack=\\d+&${opaque.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}&timeout=180$`));
  });

  it('a competing P-GET replaces ours (409 PGetReplaced): we retry the same URL and take the channel back', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, app } = await connect(sim);
    const run = runChannel(session, app.links.events);
    const competitor = new AbortController();
    try {
      // Once the queued presence events are delivered, our P-GET stays parked until something happens.
      await run.batches.waitFor((b) => b.length > 0, 'the first batch');
      await admin.parked(ALICE);
      const ours = (await admin.until(() => admin.requests({ path: '/events' }), (l) => l[l.length - 1].status === undefined, 'our parked P-GET')).pop()!;
      // Someone else with a valid token for the same user sends the very same P-GET.
      const grant = await fetch(`${sim.origin}/WebTicket/oauthtoken`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: ALICE, password: PASSWORD }).toString(),
      });
      const token = ((await grant.json()) as { access_token: string }).access_token;
      const theirs = fetch(`${sim.origin}${ours.path}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, signal: competitor.signal }).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        (e: Error) => ({ status: 0, body: e.message }),
      );
      const answer = await theirs;
      // Ours came back (after a short backoff) and replaced theirs.
      assert.equal(answer.status, 409);
      assert.match(answer.body, /PGetReplaced/);
      await admin.parked(ALICE);
      const id = await admin.invite({ to: ALICE, kind: 'messaging' });
      await run.batches.waitFor((b) => eventsOf(b).some((e) => e.link.href.endsWith(id)), 'the invitation');
    } finally {
      competitor.abort();
      await run.stop();
    }
    const replaced = run.retries.find((r) => r.error instanceof UcwaHttpError && r.error.status === 409);
    assert.ok(replaced, 'our P-GET was answered 409');
    assert.equal((replaced.error as UcwaHttpError).subcode, 'PGetReplaced');
    const log = await admin.requests({ path: '/events' });
    const first409 = log.findIndex((r) => r.status === 409 && r.auth === 'bearer');
    assert.equal(log[first409 + 2]?.path, log[first409].path, 'after theirs, the retry is the same URL');
  });

  it('429, 500 and 503 with Retry-After: waits at least what the server asked, retrying the same URL in order', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, app } = await connect(sim);
    await admin.fault({ kind: 'status', path: '/events', status: 429, retryAfter: 2, count: 1 });
    await admin.fault({ kind: 'status', path: '/events', status: 500, retryAfter: 1, count: 1 });
    await admin.fault({ kind: 'status', path: '/events', status: 503, retryAfter: 3, count: 1 });
    await admin.fault({ kind: 'status', path: '/events', status: 503, count: 1 });
    const since = await admin.lastSeq();
    const waits: number[] = [];
    const run = runChannel(session, app.links.events, {
      random: () => 0.999,
      backoff: { baseMs: 5, maxMs: 50 },
      // Time is not spent, only recorded: the policy is what is under test.
      sleep: async (ms) => {
        waits.push(ms);
        await shortWait(1);
      },
    });
    try {
      await run.batches.waitFor((b) => b.length > 0, 'the first batch');
    } finally {
      await run.stop();
    }
    assert.equal(waits.length, 4);
    assert.deepEqual(waits.slice(0, 3), [2000, 1000, 3000], 'Retry-After dominates the small backoff');
    assert.ok(waits[3] < 1000, `without Retry-After, the small backoff applies (${waits[3]} ms)`);
    assert.deepEqual(
      run.retries.map((r) => (r.error as UcwaHttpError).status),
      [429, 500, 503, 503],
    );
    assert.deepEqual(
      run.retries.map((r) => (r.error as UcwaHttpError).retryAfterSeconds),
      [2, 1, 3, undefined],
    );
    const log = (await admin.requests({ since, path: '/events' })).slice(0, 5);
    assert.deepEqual(log.map((r) => r.status), [429, 500, 503, 503, 200]);
    assert.equal(new Set(log.map((r) => r.path)).size, 1, 'the same URL every time');
  });

  it('a Retry-After of a day is cut to minutes: the channel comes back before the pool reaps the application', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, app } = await connect(sim);
    await admin.fault({ kind: 'status', path: '/events', status: 503, retryAfter: 86_400, count: 1 });
    const waits: number[] = [];
    const run = runChannel(session, app.links.events, {
      random: () => 0.5,
      backoff: { baseMs: 5, maxMs: 50 },
      sleep: async (ms) => {
        waits.push(ms);
        await shortWait(1);
      },
    });
    try {
      await run.batches.waitFor((b) => b.length > 0, 'the first batch');
    } finally {
      await run.stop();
    }
    assert.equal((run.retries[0].error as UcwaHttpError).retryAfterSeconds, 86_400, 'the header was read as sent');
    assert.deepEqual(waits, [MAX_RETRY_AFTER_MS]);
  });

  for (const representation of REPRESENTATIONS) {
    it(`a connection reset mid-answer, and malformed, HTML and empty bodies, are retried on the same URL (${representation})`, async () => {
      const sim = await sims.start();
      const admin = new Admin(sim);
      const { session, app } = await connect(sim, representation);
      await admin.fault({ kind: 'reset', path: '/events', count: 1 });
      await admin.fault({ kind: 'body', path: '/events', body: 'malformed', count: 1 });
      await admin.fault({ kind: 'body', path: '/events', body: 'html', count: 1 });
      await admin.fault({ kind: 'body', path: '/events', body: 'html', status: 503, count: 1 });
      await admin.fault({ kind: 'body', path: '/events', body: 'empty', count: 1 });
      const since = await admin.lastSeq();
      const run = runChannel(session, app.links.events);
      try {
        await run.batches.waitFor((b) => b.length > 0, 'the first batch');
      } finally {
        await run.stop();
      }
      const errors = run.retries.map((r) => r.error);
      assert.equal(errors.length, 5, errors.map((e) => e.message).join('; '));
      assert.ok(errors[0] instanceof UcwaNetworkError && errors[0].code === 'ECONNRESET', errors[0].message);
      assert.ok(errors[1] instanceof UcwaParseError && errors[1].kind === 'malformed', errors[1].message);
      assert.ok(errors[2] instanceof UcwaParseError && errors[2].kind === 'html', errors[2].message);
      assert.ok(errors[3] instanceof UcwaHttpError && errors[3].status === 503 && errors[3].reason === undefined, errors[3].message);
      assert.ok(errors[4] instanceof UcwaParseError, errors[4].message);
      const log = await admin.requests({ since, path: '/events' });
      assert.equal(new Set(log.slice(0, 6).map((r) => r.path)).size, 1, 'the same URL every time');
      assert.equal(transport.maxEventsInFlight, 1);
    });
  }

  it('an answer slower than the client waits: the P-GET is given up and sent again, never two at once', async () => {
    // The simulator runs at timeScale 0.001, so its 180 s hold is 180 ms; the client gives up 400 ms after sending.
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, app } = await connect(sim);
    await admin.fault({ kind: 'delay', path: '/events', seconds: 5000, count: 1 });
    const run = runChannel(session, app.links.events, { timeoutSeconds: 180, clientMarginSeconds: 0.4 - 180 });
    try {
      await run.batches.waitFor((b) => b.length > 0, 'the first batch after the timeout');
      await admin.parked(ALICE);
      const id = await admin.invite({ to: ALICE, kind: 'messaging' });
      await run.batches.waitFor((b) => eventsOf(b).some((e) => e.link.href.endsWith(id)), 'an invitation after the timeout');
    } finally {
      await run.stop();
    }
    assert.ok(run.retries[0].error instanceof UcwaNetworkError && run.retries[0].error.code === 'ETIMEDOUT', run.retries[0].error.message);
    assert.equal(transport.maxEventsInFlight, 1);
    const pgets = (await admin.requests({ path: '/events' })).map((r) => r.path);
    assert.equal(pgets[0], pgets[1], 'the timed-out URL was sent again');
  });
});
