// The client's security rules over real HTTP: an href that leads to another origin (another port, another loopback
// address, a protocol-relative or plain-HTTP link) is refused before anything is sent; a WebTicket href on another
// origin never gets the password; and no error message carries a secret.
import assert from 'node:assert/strict';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import { discover } from '../../src/ucwa/discovery';
import { UcwaAuthError, UcwaOriginError } from '../../src/ucwa/errors';
import type { HttpResponse } from '../../src/ucwa/http';
import { Representation, UcwaSession } from '../../src/ucwa/session';
import { Admin, ALICE, assertNoSecrets, connectClient, eventsOf, PASSWORD, RecordingTransport, runChannel, StrangerServer, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];

/** Rewrites the `next` link of an events body (JSON or XML) to `href`. */
function withNext(res: HttpResponse, href: string): HttpResponse {
  if (/xml/.test(String(res.headers['content-type']))) {
    return { ...res, body: res.body.replace(/<link rel="next" href="[^"]*"\/>/, `<link rel="next" href="${href}"/>`) };
  }
  const body = JSON.parse(res.body) as { _links: Record<string, { href: string }> };
  body._links.next = { href };
  return { ...res, body: JSON.stringify(body) };
}

describe('UCWA client security over HTTP', () => {
  const sims = useSimulators();
  let transport: RecordingTransport;
  const strangers: StrangerServer[] = [];
  beforeEach(() => (transport = new RecordingTransport()));
  afterEach(async () => {
    transport.close();
    await Promise.all(strangers.splice(0).map((s) => s.stop()));
  });
  const stranger = async (host = '127.0.0.1') => {
    const s = await new StrangerServer().start(host);
    strangers.push(s);
    return s;
  };

  for (const representation of REPRESENTATIONS) {
    it(`an events "next" link to another origin stops the channel with UcwaOriginError; that origin sees nothing (${representation})`, async () => {
      const sim = await sims.start();
      const admin = new Admin(sim);
      const other = await stranger('127.0.0.2');
      const { session, app } = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation);
      let planted = false;
      transport.rewrite = (req, res) => {
        if (planted || !req.url.pathname.endsWith('/events') || res.status !== 200 || !/next/.test(res.body)) return res;
        planted = true;
        return withNext(res, `${other.origin}${req.url.pathname}?ack=2`);
      };
      const run = runChannel(session, app.links.events);
      await admin.invite({ to: ALICE, kind: 'messaging' });
      const ended = await run.ended;
      assert.ok(ended instanceof UcwaOriginError, `ended with ${String(ended)}`);
      assert.match(ended.message, /127\.0\.0\.2/);
      assert.equal(other.requests.length, 0, 'the other origin was never contacted');
      assert.ok(transport.exchanges.every((e) => e.request.url.origin === sim.origin));
      // The batch that carried the bad link was still handed over (and its ack was never sent anywhere).
      assert.equal(run.batches.items.length, 1);
    });
  }

  it('refuses every href that leaves the discovered pool, before sending anything', async () => {
    const sim = await sims.start();
    const sameHostOtherPort = await stranger('127.0.0.1');
    const otherLoopback = await stranger('127.0.0.2');
    const { session, app } = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }));
    const sent = transport.exchanges.length;
    const port = new URL(sameHostOtherPort.origin).port;
    const hostile = [
      `${sameHostOtherPort.origin}/ucwa/oauth/v1/applications/1/communication/messagingInvitations/x/accept`,
      `${otherLoopback.origin}/accept`,
      `//127.0.0.1:${port}/protocol-relative`,
      'https://lyncweb.evil.example/ucwa/accept',
      'http://lyncweb.example.com/ucwa/accept',
      'data:text/plain,hello',
      'javascript:alert(1)',
    ];
    for (const href of hostile) {
      await assert.rejects(session.post(href, { base: app.links.self }), UcwaOriginError, href);
      await assert.rejects(session.send('GET', href, { base: app.links.self }), UcwaOriginError, href);
    }
    assert.equal(transport.exchanges.length, sent, 'no request left the client');
    assert.equal(sameHostOtherPort.requests.length + otherLoopback.requests.length, 0);
    // The same relative href against the pool is fine.
    assert.equal((await session.send('GET', app.links.self)).status, 200);
  });

  it('a discovery redirect to plain HTTP on a non-loopback host is refused', async () => {
    const sim = await sims.start();
    transport.rewrite = (req, res) => (req.url.pathname === '/' ? { ...res, body: JSON.stringify({ _links: { redirect: { href: 'http://lyncweb.example.com/Autodiscover/AutodiscoverService.svc/root' } } }) } : res);
    const session = new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }) });
    await assert.rejects(discover(session, { discoveryUrl: sim.discoveryUrl }), (e: unknown) => e instanceof UcwaOriginError && /HTTPS/.test(e.message));
    assert.equal(transport.exchanges.length, 1);
  });

  for (const representation of REPRESENTATIONS) {
    it(`a WebTicket href on another origin never receives the password (${representation})`, async () => {
      const sim = await sims.start();
      const other = await stranger('127.0.0.1');
      transport.rewrite = (_req, res) => {
        if (res.status !== 401) return res;
        const header = res.headers['www-authenticate'];
        const lines = (Array.isArray(header) ? header : [String(header)]).map((l) => l.replace(/href="[^"]*"/, `href="${other.origin}/WebTicket/oauthtoken"`));
        return { ...res, headers: { ...res.headers, 'www-authenticate': lines as unknown as string } };
      };
      const session = new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation });
      const err = await discover(session, { discoveryUrl: sim.discoveryUrl }).then(
        () => assert.fail('must not sign in'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof UcwaAuthError, String(err));
      assert.match(err.message, /refusing to send a password/);
      assert.equal(other.requests.length, 0);
      assert.ok(transport.exchanges.every((e) => !String(e.request.body ?? '').includes(PASSWORD)));
      assert.ok(!String(err.stack).includes(PASSWORD));
    });
  }

  it('errors raised during a run with faults carry no token and no password', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, app } = await connectClient(sim, transport, new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }));
    const run = runChannel(session, app.links.events);
    try {
      await admin.parked(ALICE);
      await admin.fault({ kind: 'body', path: '/events', body: 'malformed', count: 1 });
      await admin.fault({ kind: 'status', path: '/events', status: 500, count: 1 });
      await admin.fault({ kind: 'expireTokens', user: ALICE });
      // The parked P-GET carries the first invitation; its successors meet the faults; the second comes after them.
      await admin.invite({ to: ALICE, kind: 'messaging', message: 'hi' });
      await run.batches.waitFor((b) => eventsOf(b).some((e) => e.type === 'started'), 'the first invitation');
      await admin.until(() => admin.applications(ALICE), (a) => a[0].parked && run.retries.length >= 2, 'the faults are behind us');
      await admin.invite({ to: ALICE, kind: 'messaging', message: 'hi again' });
      await run.batches.waitFor((b) => eventsOf(b).filter((e) => e.type === 'started').length === 2, 'the second invitation');
    } finally {
      await run.stop();
    }
    const wrong = new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: ALICE, password: `${PASSWORD}-wrong` }) });
    const authError = await discover(wrong, { discoveryUrl: sim.discoveryUrl }).catch((e: Error) => e);
    const texts = [...run.retries.map((r) => `${r.error.message} ${r.error.stack}`), String(authError), (authError as Error).stack ?? ''];
    assert.ok(run.retries.length >= 2, `retries: ${run.retries.map((r) => r.error.message).join('; ')}`);
    assertNoSecrets(texts, transport.secrets());
  });
});
