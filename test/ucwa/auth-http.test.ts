// Authentication over real HTTP: the WebTicket password grant with both challenge styles, a refused grant, tokens
// that expire mid-session (401 and 403-InvalidToken, on requests and on the P-GET), proactive refresh, and the
// azure (TokenCredential, per-pool scope) and callback strategies against the simulator's JWT trust.
import assert from 'node:assert/strict';
import { AccessTokenCredential, AzureCredentialTokenProvider, CallbackTokenProvider, PasswordTokenProvider } from '../../src/ucwa/auth';
import { discover } from '../../src/ucwa/discovery';
import { UcwaAuthError } from '../../src/ucwa/errors';
import { Representation, UcwaSession } from '../../src/ucwa/session';
import { Admin, ALICE, connectClient, DAVE, eventsOf, hs256Jwt, LoggedRequest, PASSWORD, RecordingTransport, runChannel, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const SECRET = 'sim-hs256-secret-for-tests';

/** Every 401/403 on a UCWA URL is followed by the same method and URL with a fresh token that gets through. */
function assertRetriedSameUrl(log: LoggedRequest[], refusedStatus: number): number {
  let refusals = 0;
  log.forEach((r, i) => {
    if (r.status !== refusedStatus || r.auth !== 'bearer') return;
    refusals++;
    const retry = log.slice(i + 1).find((x) => x.method === r.method && x.path === r.path && x.pool === r.pool && x.auth === 'bearer');
    assert.ok(retry, `no retry of ${r.method} ${r.path} after ${refusedStatus}`);
    if (r.path.includes('/events')) {
      // (Other requests may run meanwhile; another P-GET may not.)
      const between = log.slice(i + 1, log.indexOf(retry));
      assert.ok(between.every((x) => !x.path.includes('/events')), 'no other P-GET went out between the refusal and its retry');
    }
    assert.notEqual(retry.status, refusedStatus, `the retry of ${r.path} was refused again`);
  });
  return refusals;
}

describe('UCWA authentication over HTTP', () => {
  const sims = useSimulators();
  let transport: RecordingTransport;
  beforeEach(() => (transport = new RecordingTransport()));
  afterEach(() => transport.close());

  for (const representation of REPRESENTATIONS) {
    for (const challengeStyle of ['separate', 'joined'] as const) {
      it(`signs in with the password grant from a ${challengeStyle} challenge (${representation})`, async () => {
        const sim = await sims.start({ challengeStyle });
        const { app } = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation);
        assert.ok(app.links.reportMyActivity, 'made available');
        const challenge = transport.exchanges.find((e) => e.response?.status === 401)!;
        const header = challenge.response!.headers['www-authenticate'];
        // Node joins repeated header lines; what matters is that the simulator sent the style under test.
        assert.ok(header);
        const grants = transport.exchanges.filter((e) => e.request.url.pathname === '/WebTicket/oauthtoken');
        assert.equal(grants.length, 1, 'one grant serves the whole sign-in');
        const form = new URLSearchParams(grants[0].request.body);
        assert.equal(form.get('grant_type'), 'password');
        assert.equal(form.get('username'), ALICE);
        assert.equal(grants[0].request.headers['Content-Type'], 'application/x-www-form-urlencoded;charset=UTF-8');
        // Every request after the challenge carried the token.
        const after = transport.exchanges.slice(transport.exchanges.indexOf(challenge) + 1).filter((e) => e !== grants[0]);
        assert.ok(after.every((e) => /^Bearer cwt=/.test(e.request.headers.Authorization ?? '')));
      });
    }
  }

  it('a wrong password is a UcwaAuthError that says invalid_grant and does not contain the password', async () => {
    const sim = await sims.start();
    const wrong = 'Wr0ng-Pa55word-xyz';
    const session = new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: ALICE, password: wrong }) });
    const err = await discover(session, { discoveryUrl: sim.discoveryUrl }).then(
      () => assert.fail('sign-in must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UcwaAuthError, String(err));
    assert.equal(err.oauthError, 'invalid_grant');
    assert.match(err.message, /refused \(400 invalid_grant\)/);
    assert.ok(!err.message.includes(wrong) && !String(err.stack).includes(wrong));
    // Exactly one attempt: a refused password is not retried in a loop.
    assert.equal(transport.exchanges.filter((e) => e.request.url.pathname.endsWith('/oauthtoken')).length, 1);
  });

  for (const representation of REPRESENTATIONS) {
    for (const invalidTokenStatus of [401, 403] as const) {
      it(`after the tokens expire, re-authenticates and retries the same URL once: requests and the P-GET (${invalidTokenStatus}, ${representation})`, async () => {
        const sim = await sims.start({ invalidTokenStatus });
        const admin = new Admin(sim);
        const { session, app } = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation);
        const run = runChannel(session, app.links.events);
        try {
          await admin.parked(ALICE);
          // The parked P-GET itself is refused the moment its token expires (§2.4): the log starts just before it.
          const since = Math.max(...(await admin.requests({ path: '/events' })).map((r) => r.seq)) - 1;
          await admin.fault({ kind: 'expireTokens', user: ALICE });
          await admin.invite({ to: ALICE, kind: 'messaging', subject: 'after expiry' });
          await run.batches.waitFor((b) => eventsOf(b).some((e) => e.type === 'started'), 'the invitation');
          await admin.until(() => admin.requests({ since }), (log) => log.some((r) => r.path.includes('/events') && r.status === invalidTokenStatus), 'a refused P-GET');
          // A plain request with the expired token too.
          await admin.fault({ kind: 'expireTokens', user: ALICE });
          await app.reportActivity();
          await admin.parked(ALICE);
          const log = await admin.requests({ since });
          const refusals = assertRetriedSameUrl(log, invalidTokenStatus);
          assert.ok(refusals >= 2, `refusals seen: ${refusals}`);
          assert.ok(log.some((r) => r.path.endsWith('/reportMyActivity') && r.status === 204));
          assert.equal(run.retries.length, 0, 'the re-authentication happened inside the request, not as a channel retry');
          if (invalidTokenStatus === 403) {
            const refused = transport.exchanges.find((e) => e.response?.status === 403)!;
            assert.match(String(refused.response!.headers.warning), /InvalidToken/);
          }
        } finally {
          await run.stop();
        }
      });
    }
  }

  it('short-lived tokens: re-authenticates when the pool refuses, without a grant per request', async () => {
    // 240 s tokens: the simulator expires them after 240 ms of this test while P-GETs come and go every 180 ms.
    const sim = await sims.start({ tokenLifetimeSeconds: 240 });
    const admin = new Admin(sim);
    const { session, app } = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }));
    const run = runChannel(session, app.links.events);
    try {
      const log = await admin.until(
        () => admin.requests(),
        (l) => {
          const refused = l.filter((r) => r.path.includes('/events') && r.status === 401);
          const last = refused[refused.length - 1];
          // ... and the last one's retry has been answered.
          return refused.length >= 2 && l.some((r) => r.seq > last.seq && r.path === last.path && r.status === 200);
        },
        'two expiries on the event channel',
      );
      const grants = log.filter((r) => r.path === '/WebTicket/oauthtoken').length;
      const refusals = assertRetriedSameUrl(log, 401);
      const ucwa = log.filter((r) => r.auth === 'bearer').length;
      // Sign-in (1) plus one per refusal; a provider that fetched a token for every request would far exceed it.
      assert.ok(grants <= refusals + 1, `grants ${grants}, refusals ${refusals}, requests ${ucwa}`);
      assert.equal(run.retries.length, 0);
    } finally {
      await run.stop();
    }
  });

  it('refreshes a token before it expires, without waiting for a refusal', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    let now = Date.now();
    const tokens = new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }, () => now);
    const { app } = await connectClient(sim, transport, tokens);
    const before = (await admin.requests({ path: '/WebTicket/oauthtoken' })).length;
    // 8 h tokens: 7 h later the client must fetch a new one on its own.
    now += 7 * 3600_000;
    await app.reportActivity();
    const log = await admin.requests();
    assert.equal(log.filter((r) => r.path === '/WebTicket/oauthtoken').length, before + 1);
    assert.ok(!log.some((r) => r.status === 401 && r.auth === 'bearer'), 'no request was refused');
  });

  for (const representation of REPRESENTATIONS) {
    it(`azure strategy: a TokenCredential token per pool, scope <origin>/.default, accepted by each pool (${representation})`, async () => {
      const sim = await sims.start({ secondaryPool: true, jwt: { hs256Secret: SECRET } });
      const admin = new Admin(sim);
      const scopes: string[] = [];
      const credential: AccessTokenCredential = {
        async getToken(scope) {
          const s = Array.isArray(scope) ? scope[0] : scope;
          scopes.push(s);
          const expiresOnTimestamp = Date.now() + 3600_000;
          return { token: hs256Jwt({ aud: s.replace(/\/\.default$/, ''), upn: DAVE, exp: Math.floor(expiresOnTimestamp / 1000) }, SECRET), expiresOnTimestamp };
        },
      };
      const { session, app } = await connectClient(sim, transport, new AzureCredentialTokenProvider(credential), representation);
      assert.deepEqual(scopes, [`${sim.origin}/.default`, `${sim.secondaryOrigin}/.default`]);
      assert.equal(transport.exchanges.filter((e) => e.request.url.pathname.endsWith('/oauthtoken')).length, 0, 'no WebTicket grant in azure mode');
      const run = runChannel(session, app.links.events);
      try {
        await admin.parked(DAVE);
        await admin.invite({ to: DAVE, kind: 'messaging', subject: 'via azure' });
        await run.batches.waitFor((b) => eventsOf(b).some((e) => e.type === 'started'), 'the invitation');
      } finally {
        await run.stop();
      }
      const log = await admin.requests();
      assert.ok(log.filter((r) => r.pool === 'secondary' && r.auth === 'bearer').every((r) => r.user === DAVE && r.status !== 401));
      // Each pool only ever saw the token minted for its own origin.
      for (const ex of transport.exchanges) {
        const auth = ex.request.headers.Authorization;
        if (!auth) continue;
        const claims = JSON.parse(Buffer.from(auth.split('.')[1], 'base64url').toString('utf8')) as { aud: string };
        assert.equal(claims.aud, ex.request.url.origin);
      }
      assert.equal(scopes.length, 2, 'tokens are cached per pool');
    });
  }

  it('callback strategy: the caller supplies tokens; a refused one is replaced through forceRefresh', async () => {
    const sim = await sims.start({ jwt: { hs256Secret: SECRET } });
    const calls: Array<{ origin: string; force: boolean }> = [];
    const tokens = new CallbackTokenProvider(async (origin, force) => {
      calls.push({ origin, force });
      // The first token the bot holds is stale; after the refusal it asks the user's OAuth connection again.
      return force ? hs256Jwt({ aud: origin, upn: ALICE, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET) : 'stale-token-from-the-oauth-cache';
    });
    const { app } = await connectClient(sim, transport, tokens, 'json');
    assert.ok(app.links.reportMyActivity);
    assert.deepEqual(calls.slice(0, 2), [
      { origin: sim.origin, force: false },
      { origin: sim.origin, force: true },
    ]);
    assert.ok(transport.exchanges.filter((e) => e.request.headers.Authorization).every((e) => /^Bearer /.test(e.request.headers.Authorization!)));
  });

  it('callback strategy: no token means the user must sign in again (UcwaAuthError, nothing sent)', async () => {
    const sim = await sims.start({ jwt: { hs256Secret: SECRET } });
    const session = new UcwaSession({ transport, tokens: new CallbackTokenProvider(async () => undefined) });
    await assert.rejects(discover(session, { discoveryUrl: sim.discoveryUrl }), (e: unknown) => e instanceof UcwaAuthError && /must sign in again/.test(e.message));
    assert.ok(transport.exchanges.every((e) => e.request.headers.Authorization === undefined));
  });
});
