// The admin API: invitation creation and its validation, the request log (never a password or token), and fault
// injection (status with Retry-After, connection reset, delay, HTML/malformed/empty bodies, application expiry).
import assert from 'node:assert/strict';
import http from 'node:http';
import sinon from 'sinon';
import { demoUsers } from '../../src/simulator';
import type { SimUser } from '../../src/simulator';
import { rawRequest, RawHttpError } from '../support/raw-http';
import { acceptOf, admin, FORMATS, grantToken, invite, parseError, parseEvents, Session, UCWA_NS, useSimulators, waitParked, xmlRoot } from './helpers';

const APPS = '/ucwa/oauth/v1/applications';

/**
 * A GET whose response is cut mid-body: what arrived (status, headers, the partial body) and that it never completed.
 * The raw-http client rejects such a response without its headers, so this one reads the socket itself.
 */
function cutResponse(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; partial: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers, agent: false }, (res) => {
      let partial = '';
      res.on('data', (c: Buffer) => (partial += c.toString('utf8')));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, partial, complete: res.complete }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('simulator: admin API', () => {
  const sims = useSimulators();

  describe('POST /_sim/invitations', () => {
    it('creates an invitation (201 {id, href}) whose admin view shows its state', async () => {
      const sim = await sims.start();
      const r = await admin(sim, 'POST', '/_sim/invitations', { to: 'alexw@example.com', kind: 'messaging', from: { name: 'Bob', uri: 'sip:bob@example.com' }, subject: 'Hi' });
      assert.equal(r.status, 201);
      assert.equal(typeof r.json.id, 'string');
      assert.equal(r.json.href, `/_sim/invitations/${r.json.id}`);
      const view = await admin(sim, 'GET', String(r.json.href));
      assert.equal(view.status, 200);
      assert.equal(view.json.state, 'undelivered');
      assert.equal(view.json.clientAction, null);
      assert.equal(view.json.kind, 'messaging');
      assert.equal((await admin(sim, 'GET', '/_sim/invitations/nope')).status, 404);
      assert.equal((await admin(sim, 'POST', `/_sim/invitations/${r.json.id}/explode`)).status, 404);
    });

    const bad: Array<[string, Record<string, unknown> | string, RegExp]> = [
      ['a missing to', { kind: 'messaging', from: { uri: 'sip:bob@example.com' } }, /\bto\b.*required/],
      ['an unknown invitee', { to: 'nobody@example.com', from: { uri: 'sip:bob@example.com' } }, /no such user/],
      ['an unknown kind', { to: 'alexw@example.com', kind: 'fax', from: { uri: 'sip:bob@example.com' } }, /kind must be one of/],
      ['a missing from', { to: 'alexw@example.com' }, /from\.uri is required/],
      ['from that is not an object', { to: 'alexw@example.com', from: 'bob' }, /from must be an object/],
      ['a from.uri without sip:', { to: 'alexw@example.com', from: { uri: 'bob@example.com' } }, /from\.uri must be a sip: URI/],
      ['an unknown sourceNetwork', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com', sourceNetwork: 'Mars' } }, /sourceNetwork must be one of/],
      ['an unknown importance', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, importance: 'Meh' }, /importance must be one of/],
      ['a non-string subject', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, subject: 42 }, /subject must be a string/],
      ['a non-string message', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, message: ['x'] }, /message must be a string/],
      ['an unknown messageEncoding', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, messageEncoding: 'rot13' }, /messageEncoding/],
      ['availableModalities not a list', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, availableModalities: 'Audio' }, /availableModalities/],
      ['a zero answer window', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, answerWindowSeconds: 0 }, /answerWindowSeconds/],
      ['a non-boolean lobby', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, lobby: 'yes' }, /lobby must be true or false/],
      ['admitAfterSeconds without a lobby', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, admitAfterSeconds: 5 }, /admitAfterSeconds needs lobby/],
      ['a negative admitAfterSeconds', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, lobby: true, admitAfterSeconds: -1 }, /admitAfterSeconds must be/],
      ['a lobby on an IM', { to: 'alexw@example.com', kind: 'messaging', from: { uri: 'sip:bob@example.com' }, lobby: true }, /lobby applies only/],
      ['an onBehalfOf without uri', { to: 'alexw@example.com', from: { uri: 'sip:bob@example.com' }, onBehalfOf: { name: 'X' } }, /onBehalfOf\.uri is required/],
      ['malformed JSON', '{"to":', /malformed JSON/],
      ['a JSON array', '[]', /expected a JSON object/],
    ];
    for (const [name, body, message] of bad) {
      it(`refuses ${name} with 400 and a clear message`, async () => {
        const sim = await sims.start();
        const res = await rawRequest(`${sim.origin}/_sim/invitations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
        assert.equal(res.status, 400);
        const json = JSON.parse(res.body) as { error: string };
        assert.match(json.error, message);
      });
    }

    it('lives only on the primary pool', async () => {
      const sim = await sims.start({ secondaryPool: true });
      const res = await rawRequest(`${sim.secondaryOrigin}/_sim/invitations`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
      assert.equal(res.status, 404);
    });
  });

  describe('GET /_sim/requests', () => {
    it('shows what clients sent, and never a password or a token', async () => {
      const password = 'S3cret-Pa55word!';
      const user: SimUser = { upn: 'pat@example.com', sip: 'sip:pat@example.com', displayName: 'Pat', password, pool: 'primary' };
      const sim = await sims.start({ users: [user] });
      const token = await grantToken(sim.origin, 'pat@example.com', password);
      // A refused grant carries the password too.
      await rawRequest(`${sim.origin}/WebTicket/oauthtoken`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `grant_type=password&username=pat%40example.com&password=${encodeURIComponent(password)}x` });
      const s = new Session(sim.origin, token, 'xml');
      const app = await s.createApplication({ UserAgent: 'logged/1.0' });
      await s.get(`${app.eventsHref}&timeout=180`);
      const log = await admin(sim, 'GET', '/_sim/requests');
      assert.equal(log.status, 200);
      const entries = log.json as unknown as Array<Record<string, unknown>>;
      const grant = entries.find((e) => e.path === '/WebTicket/oauthtoken' && e.status === 200);
      assert.ok(grant, 'the grant is logged');
      assert.equal(grant.body, undefined);
      const create = entries.find((e) => e.method === 'POST' && e.path === APPS)!;
      assert.equal(create.status, 201);
      assert.equal(create.auth, 'bearer');
      assert.equal(create.user, 'pat@example.com');
      assert.equal(create.accept, 'application/vnd.microsoft.com.ucwa+xml');
      assert.equal(create.contentType, 'application/json');
      assert.match(String(create.body), /logged\/1\.0/);
      const pget = entries.find((e) => String(e.path).includes('/events?ack=1'))!;
      assert.equal(pget.status, 200);
      const all = log.res.body;
      assert.ok(!all.includes(password), 'no password in the log');
      assert.ok(!all.includes(encodeURIComponent(password)), 'no encoded password in the log');
      assert.ok(!all.includes(token.replace(/^cwt=/, '')), 'no token in the log');
      // Filters.
      const onlyEvents = (await admin(sim, 'GET', '/_sim/requests?path=/events')).json as unknown as unknown[];
      assert.equal(onlyEvents.length, 1);
      const posts = (await admin(sim, 'GET', '/_sim/requests?method=post')).json as unknown as Array<{ method: string }>;
      assert.ok(posts.length >= 3 && posts.every((p) => p.method === 'POST'));
      assert.equal((await admin(sim, 'DELETE', '/_sim/requests')).status, 200);
      assert.deepEqual((await admin(sim, 'GET', '/_sim/requests')).json, []);
    });

    it('keeps no password or token whatever the path casing, field or place (form, query, JSON, XML, headers)', async () => {
      const password = 'S3cret-Pa55word!';
      const user: SimUser = { upn: 'pat@example.com', sip: 'sip:pat@example.com', displayName: 'Pat', password, pool: 'primary' };
      const sim = await sims.start({ users: [user] });
      const token = await grantToken(sim.origin, 'pat@example.com', password);
      const bare = token.replace(/^cwt=/, '');
      const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"upn":"pat@example.com"}').toString('base64url')}.c2lnbmF0dXJl`;
      const form = (extra = '') => `grant_type=password&username=pat%40example.com&password=${encodeURIComponent(password)}${extra}`;
      const post = (path: string, body: string, contentType: string) => rawRequest(`${sim.origin}${path}`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/json' }, body });
      // The token endpoint spelt as IIS would also accept it: the grant works, its body is never kept.
      const odd = await post('/webticket/OAuthToken', form(), 'application/x-www-form-urlencoded');
      assert.equal(odd.status, 200, odd.body);
      await post('/WEBTICKET/oauthtoken/', form(), 'application/x-www-form-urlencoded');
      // Anywhere else: form fields named password (any case, encoded names too), token fields, Authorization-like values.
      await post(APPS, `${form()}&PassWord=${encodeURIComponent(password)}&pass%77ord=${encodeURIComponent(password)}&access_token=${encodeURIComponent(token)}`, 'application/x-www-form-urlencoded');
      await post(APPS, `note=hello&password=${encodeURIComponent(password)}`, 'text/plain');
      await post(APPS, JSON.stringify({ UserAgent: 'x', Password: password, nested: { password } , note: `Authorization: Bearer ${token}`, other: `Basic ${Buffer.from(`pat:${password}`).toString('base64')}`, id: jwt }), 'application/json');
      await post(APPS, `<input xmlns="${UCWA_NS}"><property name="password">${password}</property><property name="note">Bearer ${bare}</property></input>`, 'application/vnd.microsoft.com.ucwa+xml');
      await rawRequest(`${sim.origin}/Autodiscover/AutodiscoverService.svc/root?password=${encodeURIComponent(password)}&access_token=${encodeURIComponent(token)}&x=Bearer%20${encodeURIComponent(bare)}`, {
        headers: { Accept: `application/json; auth=Bearer ${bare}`, 'Content-Type': `text/plain; token=${token}` },
      });
      const log = await admin(sim, 'GET', '/_sim/requests');
      const all = log.res.body;
      for (const secret of [password, encodeURIComponent(password), bare, encodeURIComponent(bare), jwt, Buffer.from(`pat:${password}`).toString('base64')]) {
        assert.ok(!all.includes(secret), `${secret} appears in the log: ${all}`);
      }
      // What is not secret is still there to debug with.
      const entries = log.json as unknown as Array<{ path: string; body?: string }>;
      assert.ok(entries.some((e) => e.path === '/webticket/OAuthToken' && e.body === undefined), 'the odd-case grant is logged, without its body');
      assert.ok(entries.some((e) => e.path === '/WEBTICKET/oauthtoken/' && e.body === undefined));
      assert.ok(entries.some((e) => e.body?.includes('username=pat%40example.com') && e.body.includes('password=[REDACTED]')));
      assert.ok(entries.some((e) => e.path.includes('x=Bearer [REDACTED]')), JSON.stringify(entries.map((e) => e.path)));
      assert.ok(entries.some((e) => e.body?.includes('"UserAgent":"x"') && e.body.includes('"password":"[REDACTED]"')));
    });
  });

  describe('faults', () => {
    it('answers the next N matching requests with the status and Retry-After, then recovers', async () => {
      const sim = await sims.start();
      const s = await Session.signIn(sim.origin, 'alexw@example.com');
      const f = await admin(sim, 'POST', '/_sim/faults', { kind: 'status', path: APPS, method: 'POST', status: 503, count: 2, retryAfter: 7 });
      assert.equal(f.status, 201);
      // A GET on the same path is not matched.
      assert.equal((await s.get(APPS)).status, 200);
      for (let i = 0; i < 2; i++) {
        const res = await s.post(APPS, { UserAgent: 'x', EndpointId: 'e', Culture: 'en-US' });
        assert.equal(res.status, 503);
        assert.equal(res.headers['retry-after'], '7');
        // A proxy-style 503 is an HTML page, not a UCWA error.
        assert.match(String(res.headers['content-type']), /^text\/html/);
      }
      assert.equal((await s.post(APPS, { UserAgent: 'x', EndpointId: 'e', Culture: 'en-US' })).status, 201);
      const list = (await admin(sim, 'GET', '/_sim/faults')).json as unknown as Array<{ hits: number; remaining: number }>;
      assert.deepEqual(list.map((r) => [r.hits, r.remaining]), [[2, 0]]);
      assert.equal((await admin(sim, 'DELETE', '/_sim/faults')).status, 200);
      assert.deepEqual((await admin(sim, 'GET', '/_sim/faults')).json, []);
    });

    for (const format of FORMATS) {
      it(`answers 429 as a UCWA error with Retry-After, and a 500 with the given code and subcode (${format})`, async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        await admin(sim, 'POST', '/_sim/faults', { kind: 'status', path: '/events', status: 429, retryAfter: 3 });
        const res = await s.get(app.eventsHref);
        assert.equal(res.status, 429);
        assert.equal(res.headers['retry-after'], '3');
        assert.equal(parseError(format, res.body).code, 'TooManyRequests');
        await admin(sim, 'POST', '/_sim/faults', { kind: 'status', path: '/events', status: 500, code: 'ServiceFailure', subcode: 'CallbackChannelError' });
        const five = await s.get(app.eventsHref);
        assert.equal(five.status, 500);
        assert.equal(five.headers['retry-after'], undefined);
        assert.deepEqual([parseError(format, five.body).code, parseError(format, five.body).subcode], ['ServiceFailure', 'CallbackChannelError']);
        // The channel itself is untouched by the injected failures.
        assert.equal(parseEvents(format, (await s.get(`${app.eventsHref}&timeout=180`)).body).self, app.eventsHref);
      });
    }

    it('resets the connection mid-response: the client sees an incomplete body', async () => {
      const sim = await sims.start();
      const s = await Session.signIn(sim.origin, 'alexw@example.com');
      const app = await s.createApplication();
      await admin(sim, 'POST', '/_sim/faults', { kind: 'reset', path: '/events' });
      const err = await s.get(app.eventsHref).then(
        () => assert.fail('expected a broken response'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RawHttpError, String(err));
      // The status line and headers arrived; the body never completed.
      assert.equal(err.kind, 'incomplete', err.message);
      assert.equal((await s.get(`${app.eventsHref}&timeout=180`)).status, 200);
    });

    for (const style of ['separate', 'joined'] as const) {
      for (const format of FORMATS) {
        it(`answers a 401 fault like the pool's authentication layer: HTML page and both challenges (${style}, ${format})`, async () => {
          const sim = await sims.start({ challengeStyle: style });
          const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
          const app = await s.createApplication();
          await admin(sim, 'POST', '/_sim/faults', { kind: 'status', path: '/events', status: 401, retryAfter: 2 });
          const res = await s.get(app.eventsHref);
          assert.equal(res.status, 401);
          assert.match(String(res.headers['content-type']), /^text\/html/);
          assert.match(res.body, /<html>.*401/);
          assert.equal(res.headers['retry-after'], '2');
          const lines = res.headerLines['www-authenticate'] ?? [];
          assert.equal(lines.length, style === 'joined' ? 1 : 2, lines.join(' | '));
          const joined = lines.join(', ');
          assert.match(joined, /^Bearer trusted_issuers="[^"]+", client_id="[^"]+"/);
          assert.ok(joined.includes(`MsRtcOAuth href="${sim.origin}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`), joined);
          // Exactly what a real expired token gets.
          await admin(sim, 'POST', '/_sim/faults', { kind: 'expireTokens' });
          const real = await s.get(app.eventsHref);
          assert.equal(real.status, 401);
          assert.deepEqual(real.headerLines['www-authenticate'], lines);
          assert.equal(real.headers['content-type'], res.headers['content-type']);
        });
      }
    }

    for (const format of FORMATS) {
      it(`cuts the connection mid-body with the representation's content type (${format})`, async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        await admin(sim, 'POST', '/_sim/faults', { kind: 'reset', path: '/events' });
        const cut = await cutResponse(s.url(app.eventsHref), { Accept: acceptOf(format), Authorization: `Bearer ${s.token}` });
        assert.equal(cut.status, 200);
        assert.equal(cut.complete, false, 'the body never completes');
        if (format === 'xml') {
          assert.match(String(cut.headers['content-type']), /^application\/vnd\.microsoft\.com\.ucwa\+xml/);
          assert.match(cut.partial, /^<\?xml /);
        } else {
          assert.match(String(cut.headers['content-type']), /^application\/json/);
          assert.match(cut.partial, /^\{/);
        }
      });

      it(`answers an empty-body fault with the representation's content type (${format})`, async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        await admin(sim, 'POST', '/_sim/faults', { kind: 'body', body: 'empty', path: '/events' });
        const res = await s.get(app.eventsHref);
        assert.equal(res.body, '');
        assert.match(String(res.headers['content-type']), format === 'xml' ? /\+xml/ : /^application\/json/);
      });
    }

    describe('delay (fake clock)', () => {
      let clock: sinon.SinonFakeTimers | undefined;
      afterEach(() => {
        clock?.restore();
        clock = undefined;
      });

      it('holds the matching request for the given seconds, then answers it normally', async () => {
        const sim = await sims.start({ timeScale: 1 });
        await admin(sim, 'POST', '/_sim/faults', { kind: 'delay', path: '/Autodiscover/', seconds: 30 });
        clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout'] });
        let done = false;
        const delayed = rawRequest(`${sim.origin}/Autodiscover/AutodiscoverService.svc/root`).then((r) => ((done = true), r));
        // Other requests are not held meanwhile (the rule was used up by the first).
        assert.equal((await rawRequest(`${sim.origin}/Autodiscover/AutodiscoverService.svc/root`)).status, 200);
        assert.equal(done, false);
        clock.tick(29_000);
        await rawRequest(`${sim.origin}/`);
        assert.equal(done, false);
        clock.tick(1_000);
        const res = await delayed;
        assert.equal(res.status, 200);
        assert.match(res.body, /"user"/);
      });
    });

    const bodies: Array<{ body: 'html' | 'malformed' | 'empty'; check: (ct: string, text: string, format: 'json' | 'xml') => void }> = [
      {
        body: 'html',
        check: (ct, text) => {
          assert.match(ct, /^text\/html/);
          assert.match(text, /<html>/);
        },
      },
      {
        body: 'malformed',
        check: (ct, text, format) => {
          if (format === 'json') {
            assert.match(ct, /json/);
            assert.throws(() => JSON.parse(text));
          } else {
            assert.match(ct, /xml/);
            assert.throws(() => xmlRoot(text));
          }
        },
      },
      { body: 'empty', check: (_ct, text) => assert.equal(text, '') },
    ];
    for (const format of FORMATS) {
      for (const b of bodies) {
        it(`answers with a ${b.body} body (${format})`, async () => {
          const sim = await sims.start();
          const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
          const app = await s.createApplication();
          await admin(sim, 'POST', '/_sim/faults', { kind: 'body', body: b.body, path: '/events' });
          const res = await s.get(app.eventsHref);
          assert.equal(res.status, 200);
          b.check(String(res.headers['content-type']), res.body, format);
        });
      }
    }

    it('answers a body fault with the given status', async () => {
      const sim = await sims.start();
      await admin(sim, 'POST', '/_sim/faults', { kind: 'body', body: 'html', status: 502, path: '/Autodiscover' });
      const res = await rawRequest(`${sim.origin}/Autodiscover/AutodiscoverService.svc/root`);
      assert.equal(res.status, 502);
      assert.match(String(res.headers['content-type']), /^text\/html/);
    });

    for (const format of FORMATS) {
      for (const status of [404, 410] as const) {
        it(`expireApplications ends the parked P-GET and the application with ${status} (${format})`, async () => {
          const sim = await sims.start();
          const alex = await Session.signIn(sim.origin, 'alexw@example.com', format);
          const megan = await Session.signIn(sim.origin, 'meganb@example.com', format);
          const app = await alex.createApplication();
          const theirs = await megan.createApplication();
          const pget = alex.get(`${app.eventsHref}&timeout=1800`);
          await waitParked(sim, app.id);
          const r = await admin(sim, 'POST', '/_sim/faults', { kind: 'expireApplications', user: 'alexw@example.com', ...(status === 410 ? { status: 410 } : {}) });
          assert.equal(r.status, 201);
          assert.equal(r.json.expired, 1);
          const [code, subcode] = status === 410 ? ['Gone', 'InactiveApplicationExpired'] : ['NotFound', 'ApplicationNotFound'];
          await alex.expectError(pget, status, code, subcode);
          await alex.expectError(alex.get(app.href), status, code, subcode);
          assert.equal((await megan.get(theirs.href)).status, 200);
          // A new application works right away.
          await alex.createApplication();
        });
      }
    }

    const badFaults: Array<[Record<string, unknown>, RegExp]> = [
      [{ kind: 'status', status: 200 }, /status must be an HTTP error status/],
      [{ kind: 'status', status: 503, count: 0 }, /count must be a positive integer/],
      [{ kind: 'delay', seconds: -1 }, /seconds must be a non-negative number/],
      [{ kind: 'body', body: 'xml' }, /body must be html, malformed or empty/],
      [{ kind: 'meteor' }, /kind must be one of/],
    ];
    for (const [body, message] of badFaults) {
      it(`refuses the fault ${JSON.stringify(body)} with 400`, async () => {
        const sim = await sims.start();
        const r = await admin(sim, 'POST', '/_sim/faults', body);
        assert.equal(r.status, 400);
        assert.match(String(r.json.error), message);
      });
    }
  });

  const badEvents: Array<[Record<string, unknown>, RegExp]> = [
    [{ user: 'nobody@example.com', senderRel: 'people', rel: 'group', type: 'added' }, /no such user/],
    [{ user: 'alexw@example.com', senderRel: '../x', rel: 'group', type: 'added' }, /senderRel must be a resource name/],
    [{ user: 'alexw@example.com', senderRel: 'people', rel: 'group', type: 'started' }, /type must be added, updated or deleted/],
    [{ user: 'alexw@example.com', senderRel: 'people', rel: 'group', type: 'added', priority: 'urgent' }, /priority must be high, medium or low/],
  ];
  for (const [body, message] of badEvents) {
    it(`refuses the injected event ${JSON.stringify(body)} with 400`, async () => {
      const sim = await sims.start();
      const r = await admin(sim, 'POST', '/_sim/events', body);
      assert.equal(r.status, 400);
      assert.match(String(r.json.error), message);
    });
  }

  it('reports status and applications', async () => {
    const sim = await sims.start();
    const s = await Session.signIn(sim.origin, 'alexw@example.com');
    const app = await s.createApplication();
    await app.makeMeAvailable(['Messaging']);
    await invite(sim, { to: 'alexw@example.com', kind: 'messaging' });
    const status = await admin(sim, 'GET', '/_sim/status');
    assert.equal(status.json.applications, 1);
    assert.equal(status.json.users, demoUsers().length);
    const apps = (await admin(sim, 'GET', '/_sim/applications?user=alexw@example.com')).json as unknown as Array<Record<string, unknown>>;
    assert.equal(apps.length, 1);
    assert.equal(apps[0].id, app.id);
    assert.equal(apps[0].madeAvailable, true);
    assert.deepEqual(apps[0].modalities, ['Messaging']);
    assert.ok(Number(apps[0].queued) > 0);
  });
});
