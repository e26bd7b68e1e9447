// Discovery root, the user resource and its challenges, the WebTicket password grant, per-pool tokens, the
// secondary pool reached by redirect, token expiry, and bearer JWTs from a trusted issuer.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import sinon from 'sinon';
import type { SimUser } from '../../src/simulator';
import { rawRequest, RawResponse } from '../support/raw-http';
import { acceptOf, admin, FORMATS, grantToken, hasLink, link, parseEvents, parseResource, Session, useSimulators, waitParked } from './helpers';

const USER_PATH = '/Autodiscover/AutodiscoverService.svc/root/oauth/user';
const FORM = 'application/x-www-form-urlencoded;charset=UTF-8';

function tokenRequest(origin: string, body: string, contentType = FORM): Promise<RawResponse> {
  return rawRequest(`${origin}/WebTicket/oauthtoken`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/json' }, body });
}

/** The pool's answer to a request without a valid token: an IIS HTML page with both challenges (§2.1). */
function assertChallenge(res: RawResponse, origin: string, status: 401 | 403 = 401): void {
  assert.equal(res.status, status, res.body);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /<html>/);
  const lines = res.headerLines['www-authenticate'] ?? [];
  assert.equal(lines.length, 2, `two challenges: ${lines.join(' | ')}`);
  assert.match(lines[0], /^Bearer trusted_issuers="[^"]+", client_id="[^"]+"$/);
  assert.equal(lines[1], `MsRtcOAuth href="${origin}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`);
  if (status === 403) assert.match(String(res.headers.warning), /"InvalidToken"/);
}

const secondaryUser: SimUser = { upn: 'sam@example.com', sip: 'sip:sam@example.com', displayName: 'Sam Second', password: 'pw-sam', pool: 'secondary' };
const primaryUser: SimUser = { upn: 'pat@example.com', sip: 'sip:pat@example.com', displayName: 'Pat Primary', password: 'pw-pat', pool: 'primary' };

describe('simulator: discovery and authentication', () => {
  const sims = useSimulators();

  for (const format of FORMATS) {
    describe(`discovery in ${format}`, () => {
      it('serves the root at / with self, user and xframe links on the pool host', async () => {
        const sim = await sims.start();
        const res = await rawRequest(sim.discoveryUrl, { headers: { Accept: acceptOf(format) } });
        assert.equal(res.status, 200);
        const root = parseResource(format, res.body);
        assert.deepEqual(Object.keys(root.links).sort(), ['self', 'user', 'xframe']);
        assert.equal(link(root, 'user'), `${sim.origin}${USER_PATH}`);
        const xframe = await rawRequest(link(root, 'xframe'));
        assert.equal(xframe.status, 200);
        assert.match(String(xframe.headers['content-type']), /text\/html/);
      });

      it('answers the root with only a redirect when rootRedirect is set, leading to the secondary pool', async () => {
        const sim = await sims.start({ secondaryPool: true, rootRedirect: true });
        const root = parseResource(format, (await rawRequest(sim.discoveryUrl, { headers: { Accept: acceptOf(format) } })).body);
        assert.deepEqual(Object.keys(root.links).sort(), ['redirect', 'self']);
        const redirect = link(root, 'redirect');
        assert.ok(redirect.startsWith(sim.secondaryOrigin!), redirect);
        const second = parseResource(format, (await rawRequest(redirect, { headers: { Accept: acceptOf(format) } })).body);
        assert.equal(link(second, 'user'), `${sim.secondaryOrigin}${USER_PATH}`);
      });

      it('answers the user resource with applications once a pool token is sent', async () => {
        const sim = await sims.start();
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const res = await s.get(USER_PATH);
        assert.equal(res.status, 200);
        const user = s.resource(res);
        assert.equal(link(user, 'applications'), `${sim.origin}/ucwa/oauth/v1/applications`);
        assert.equal(hasLink(user, 'redirect'), false);
      });
    });
  }

  describe('the 401 challenge', () => {
    it('sends Bearer and MsRtcOAuth as two WWW-Authenticate lines with an HTML body', async () => {
      const sim = await sims.start();
      const res = await rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Accept: 'application/json' } });
      assert.equal(res.status, 401);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /<html/i);
      const lines = res.headerLines['www-authenticate'];
      assert.equal(lines.length, 2);
      assert.match(lines[0], /^Bearer trusted_issuers="[^"]+", client_id="[^"]+"$/);
      assert.equal(lines[1], `MsRtcOAuth href="${sim.origin}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`);
    });

    it('sends both challenges as one comma-joined header when challengeStyle is joined', async () => {
      const sim = await sims.start({ challengeStyle: 'joined' });
      const res = await rawRequest(`${sim.origin}${USER_PATH}`);
      assert.equal(res.status, 401);
      const lines = res.headerLines['www-authenticate'];
      assert.equal(lines.length, 1);
      assert.match(lines[0], /^Bearer trusted_issuers="[^"]+", client_id="[^"]+", MsRtcOAuth href="[^"]+\/WebTicket\/oauthtoken",grant_type="[^"]*password"$/);
    });

    it('challenges UCWA resources too, and an unknown token the same way as a missing one', async () => {
      const sim = await sims.start();
      for (const auth of [undefined, 'Bearer cwt=not-a-token']) {
        const res = await rawRequest(`${sim.origin}/ucwa/oauth/v1/applications`, { headers: auth ? { Authorization: auth } : {} });
        assert.equal(res.status, 401);
        assert.equal(res.headerLines['www-authenticate'].length, 2);
      }
    });

    it('answers an invalid token with 403 InvalidToken plus the challenges when invalidTokenStatus is 403', async () => {
      const sim = await sims.start({ invalidTokenStatus: 403 });
      const res = await rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Authorization: 'Bearer cwt=forged' } });
      assert.equal(res.status, 403);
      assert.match(String(res.headers.warning), /^120 \S+ "InvalidToken"$/);
      assert.match(String(res.headers['x-ms-diagnostics']), /^28055;/);
      assert.equal(res.headerLines['www-authenticate'].length, 2);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      // No token at all is still the plain 401 challenge.
      assert.equal((await rawRequest(`${sim.origin}${USER_PATH}`)).status, 401);
    });
  });

  describe('WebTicket password grant', () => {
    it('issues a Bearer token with the configured expires_in and no caching', async () => {
      const sim = await sims.start({ tokenLifetimeSeconds: 1234 });
      const res = await tokenRequest(sim.origin, 'grant_type=password&username=alexw%40example.com&password=demo');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 1234);
      assert.equal(typeof body.access_token, 'string');
      assert.ok((body.access_token as string).length > 10);
      const user = await rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Authorization: `Bearer ${body.access_token}` } });
      assert.equal(user.status, 200);
    });

    const failures: Array<{ name: string; body: string; contentType?: string; error: string }> = [
      { name: 'a wrong password', body: 'grant_type=password&username=alexw%40example.com&password=nope', error: 'invalid_grant' },
      { name: 'an unknown user', body: 'grant_type=password&username=nobody%40example.com&password=demo', error: 'invalid_grant' },
      { name: 'no grant_type', body: 'username=alexw%40example.com&password=demo', error: 'invalid_request' },
      { name: 'a JSON body', body: '{"grant_type":"password","username":"alexw@example.com","password":"demo"}', contentType: 'application/json', error: 'invalid_request' },
      { name: 'no password', body: 'grant_type=password&username=alexw%40example.com', error: 'invalid_request' },
      { name: 'another grant type', body: 'grant_type=urn%3Amicrosoft.rtc%3Awindows', error: 'unsupported_grant_type' },
      { name: 'a scope other than all', body: 'grant_type=password&username=alexw%40example.com&password=demo&scope=admin', error: 'invalid_scope' },
    ];
    for (const f of failures) {
      it(`answers ${f.name} with 400 ${f.error} and diagnostics`, async () => {
        const sim = await sims.start();
        const res = await tokenRequest(sim.origin, f.body, f.contentType);
        assert.equal(res.status, 400);
        assert.deepEqual(JSON.parse(res.body), { error: f.error });
        assert.match(String(res.headers['x-ms-diagnostics']), /^\d{5};/);
      });
    }

    it('accepts scope=all', async () => {
      const sim = await sims.start();
      const res = await tokenRequest(sim.origin, 'grant_type=password&username=alexw%40example.com&password=demo&scope=all');
      assert.equal(res.status, 200);
    });
  });

  describe('pools', () => {
    it('accepts a token only on the pool that issued it', async () => {
      const sim = await sims.start({ secondaryPool: true, users: [primaryUser, secondaryUser] });
      const primaryToken = await grantToken(sim.origin, 'pat@example.com', 'pw-pat');
      const secondaryToken = await grantToken(sim.secondaryOrigin!, 'pat@example.com', 'pw-pat');
      const on = (origin: string, token: string) => rawRequest(`${origin}${USER_PATH}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal((await on(sim.origin, primaryToken)).status, 200);
      assert.equal((await on(sim.secondaryOrigin!, secondaryToken)).status, 200);
      const refused = await on(sim.origin, secondaryToken);
      assert.equal(refused.status, 401);
      assert.equal(refused.headerLines['www-authenticate'].length, 2);
      assert.equal((await on(sim.secondaryOrigin!, primaryToken)).status, 401);
    });

    for (const format of FORMATS) {
      it(`redirects a user homed in the secondary pool, which then offers applications (${format})`, async () => {
        const sim = await sims.start({ secondaryPool: true, users: [primaryUser, secondaryUser] });
        const onPrimary = new Session(sim.origin, await grantToken(sim.origin, 'sam@example.com', 'pw-sam'), format);
        const user = onPrimary.resource(await onPrimary.get(USER_PATH));
        assert.equal(hasLink(user, 'applications'), false);
        const redirect = link(user, 'redirect');
        assert.ok(redirect.startsWith(sim.secondaryOrigin!), redirect);
        // The secondary root names its own user resource; that pool wants its own token.
        const root = parseResource(format, (await rawRequest(redirect, { headers: { Accept: acceptOf(format) } })).body);
        const userHref = link(root, 'user');
        const challenge = await rawRequest(userHref, { headers: { Authorization: `Bearer ${onPrimary.token}` } });
        assert.equal(challenge.status, 401);
        // Its challenge names its own WebTicket service.
        assert.match(challenge.headerLines['www-authenticate'][1], new RegExp(`^MsRtcOAuth href="${sim.secondaryOrigin}/WebTicket/oauthtoken"`));
        const onSecondary = new Session(sim.secondaryOrigin!, await grantToken(sim.secondaryOrigin!, 'sam@example.com', 'pw-sam'), format);
        const there = onSecondary.resource(await onSecondary.get(userHref));
        assert.equal(link(there, 'applications'), `${sim.secondaryOrigin}/ucwa/oauth/v1/applications`);
        const app = await onSecondary.createApplication();
        assert.ok(app.href.startsWith('/ucwa/oauth/v1/applications/'));
        // The primary pool does not host this user's applications.
        await onPrimary.expectError(onPrimary.post('/ucwa/oauth/v1/applications', { UserAgent: 'x', EndpointId: 'e', Culture: 'en-US' }), 403, 'Forbidden');
      });
    }
  });

  describe('token expiry', () => {
    let clock: sinon.SinonFakeTimers | undefined;
    afterEach(() => {
      clock?.restore();
      clock = undefined;
    });

    it('refuses a token once its expires_in has passed, with the 401 challenge', async () => {
      const sim = await sims.start({ timeScale: 1, tokenLifetimeSeconds: 60 });
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      const token = await grantToken(sim.origin, 'alexw@example.com');
      const get = () => rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Authorization: `Bearer ${token}` } });
      clock.tick(59_000);
      assert.equal((await get()).status, 200);
      clock.tick(1_000);
      const res = await get();
      assert.equal(res.status, 401);
      assert.equal(res.headerLines['www-authenticate'].length, 2);
      // A fresh grant works again.
      const again = await grantToken(sim.origin, 'alexw@example.com');
      assert.equal((await rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Authorization: `Bearer ${again}` } })).status, 200);
    });

    it('expires tokens on demand through the expireTokens fault (one user, or all)', async () => {
      const sim = await sims.start();
      const alex = await Session.signIn(sim.origin, 'alexw@example.com');
      const megan = await Session.signIn(sim.origin, 'meganb@example.com');
      const app = await alex.createApplication();
      const fault = await rawRequest(`${sim.origin}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'expireTokens', user: 'alexw@example.com' }) });
      assert.equal(fault.status, 201);
      assert.equal((await alex.get(app.href)).status, 401);
      assert.equal((await megan.get(USER_PATH)).status, 200);
      // The application itself survives token expiry: a new token reaches it.
      const renewed = new Session(sim.origin, await grantToken(sim.origin, 'alexw@example.com'), 'json');
      assert.equal((await renewed.get(app.href)).status, 200);
    });

    for (const format of FORMATS) {
      it(`expireTokens answers the parked P-GET of that user at once with 401 and the challenge; the same URL with a new token gets the batch (${format})`, async () => {
        // Scale 0.01: the 1800 s holds (18 s) cannot pass during the test, the 5 s medium window is 50 ms.
        const sim = await sims.start({ timeScale: 0.01 });
        const alex = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const megan = await Session.signIn(sim.origin, 'meganb@example.com', format);
        const app = await alex.createApplication();
        const theirs = await megan.createApplication();
        await app.makeMeAvailable();
        const pget = alex.get(`${app.eventsHref}&timeout=1800&medium=1800`, { timeoutMs: 5000 });
        const theirPget = megan.get(`${theirs.eventsHref}&timeout=1800`, { timeoutMs: 5000 });
        await waitParked(sim, app.id);
        await waitParked(sim, theirs.id);
        const fault = await admin(sim, 'POST', '/_sim/faults', { kind: 'expireTokens', user: 'alexw@example.com' });
        assert.equal(fault.json.expired, 1);
        assertChallenge(await pget, sim.origin);
        await waitParked(sim, app.id, false);
        // Megan's token is still good: her P-GET stays parked until something releases it.
        await waitParked(sim, theirs.id);
        assert.equal((await admin(sim, 'POST', '/_sim/events', { user: 'meganb@example.com', senderRel: 'people', rel: 'group', type: 'added' })).status, 201);
        assert.equal((await theirPget).status, 200);
        // The refused P-GET took nothing with it: the same URL with a new token brings the queued batch.
        const renewed = new Session(sim.origin, await grantToken(sim.origin, 'alexw@example.com'), format);
        const page = parseEvents(format, (await renewed.get(`${app.eventsHref}&medium=5`, { timeoutMs: 5000 })).body);
        assert.equal(page.self, app.eventsHref);
        assert.equal(page.events.length, 3);
      });

      it(`answers a parked P-GET with 403 InvalidToken and the challenges when its token is expired and invalidTokenStatus is 403 (${format})`, async () => {
        const sim = await sims.start({ timeScale: 0.01, invalidTokenStatus: 403 });
        const alex = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await alex.createApplication();
        const pget = alex.get(`${app.eventsHref}&timeout=1800`, { timeoutMs: 5000 });
        await waitParked(sim, app.id);
        await admin(sim, 'POST', '/_sim/faults', { kind: 'expireTokens' });
        assertChallenge(await pget, sim.origin, 403);
      });

      it(`answers a parked P-GET with 401 and the challenge the moment its token's lifetime ends (fake clock, ${format})`, async () => {
        const sim = await sims.start({ timeScale: 1, tokenLifetimeSeconds: 600 });
        clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
        const s = await Session.signIn(sim.origin, 'alexw@example.com', format);
        const app = await s.createApplication();
        const pget = s.get(`${app.eventsHref}&timeout=1800`);
        await waitParked(sim, app.id);
        clock.tick(599_999);
        await waitParked(sim, app.id);
        clock.tick(1);
        assertChallenge(await pget, sim.origin);
        await waitParked(sim, app.id, false);
      });
    }

    it('answers an expired token with 403 InvalidToken when invalidTokenStatus is 403', async () => {
      const sim = await sims.start({ invalidTokenStatus: 403 });
      const alex = await Session.signIn(sim.origin, 'alexw@example.com');
      await rawRequest(`${sim.origin}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'expireTokens' }) });
      const res = await alex.get(USER_PATH);
      assert.equal(res.status, 403);
      assert.match(String(res.headers.warning), /"InvalidToken"/);
    });
  });

  describe('bearer JWTs', () => {
    const SECRET = 'test-secret-0123456789';
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    function jwt(claims: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
      const signed = `${b64(header)}.${b64(claims)}`;
      return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
    }
    const now = () => Math.floor(Date.now() / 1000);

    for (const format of FORMATS) {
      it(`accepts an HS256 token for the pool origin with a upn claim (${format})`, async () => {
        const sim = await sims.start({ jwt: { hs256Secret: SECRET } });
        const s = new Session(sim.origin, jwt({ aud: sim.origin, upn: 'meganb@example.com', exp: now() + 600 }), format);
        const user = s.resource(await s.get(USER_PATH));
        assert.equal(link(user, 'applications'), `${sim.origin}/ucwa/oauth/v1/applications`);
        const app = await s.createApplication();
        assert.equal(app.me.props.uri, 'sip:meganb@example.com');
      });
    }

    const refusals: Array<{ name: string; make: (origin: string) => string }> = [
      { name: 'another audience', make: () => jwt({ aud: 'https://elsewhere.example.com', upn: 'meganb@example.com', exp: now() + 600 }) },
      { name: 'a bad signature', make: (origin) => jwt({ aud: origin, upn: 'meganb@example.com', exp: now() + 600 }, 'wrong-secret') },
      { name: 'an expired token', make: (origin) => jwt({ aud: origin, upn: 'meganb@example.com', exp: now() - 5 }) },
      { name: 'an unknown upn', make: (origin) => jwt({ aud: origin, upn: 'stranger@example.com', exp: now() + 600 }) },
      { name: 'a token without exp (it would never expire)', make: (origin) => jwt({ aud: origin, upn: 'meganb@example.com' }) },
      { name: 'a token with a non-numeric exp', make: (origin) => jwt({ aud: origin, upn: 'meganb@example.com', exp: 'never' }) },
      { name: 'alg none', make: (origin) => `${b64({ alg: 'none' })}.${b64({ aud: origin, upn: 'meganb@example.com' })}.` },
    ];
    for (const r of refusals) {
      it(`refuses ${r.name} with 401`, async () => {
        const sim = await sims.start({ jwt: { hs256Secret: SECRET } });
        const res = await rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Authorization: `Bearer ${r.make(sim.origin)}` } });
        assert.equal(res.status, 401);
        assert.equal(res.headerLines['www-authenticate'].length, 2);
      });
    }

    it('refuses JWTs when no issuer is trusted', async () => {
      const sim = await sims.start();
      const res = await rawRequest(`${sim.origin}${USER_PATH}`, { headers: { Authorization: `Bearer ${jwt({ aud: sim.origin, upn: 'meganb@example.com' })}` } });
      assert.equal(res.status, 401);
    });
  });
});
