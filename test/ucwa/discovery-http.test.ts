// Discovery against the simulator over real HTTP, in JSON and XML: an explicit root, a root that only redirects to a
// second pool, a user homed in the second pool (a token per host), and a SIP domain whose hosts do not resolve.
import assert from 'node:assert/strict';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import { discover, DiscoveryError } from '../../src/ucwa/discovery';
import { UcwaOriginError } from '../../src/ucwa/errors';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/ucwa/http';
import { Representation, UcwaSession } from '../../src/ucwa/session';
import { Admin, ALICE, DAVE, PASSWORD, RecordingTransport, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];

function sessionFor(transport: RecordingTransport, upn: string, representation: Representation, password = PASSWORD): UcwaSession {
  return new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: upn, password }), representation });
}

/** Authorization values sent per origin, and tokens issued per origin (from the token answers). */
function tokensByOrigin(transport: RecordingTransport): { sent: Map<string, Set<string>>; issued: Map<string, Set<string>> } {
  const sent = new Map<string, Set<string>>();
  const issued = new Map<string, Set<string>>();
  for (const ex of transport.exchanges) {
    const origin = ex.request.url.origin;
    const auth = ex.request.headers.Authorization;
    if (auth) (sent.get(origin) ?? sent.set(origin, new Set()).get(origin)!).add(auth.replace(/^Bearer /, ''));
    if (ex.request.url.pathname.endsWith('/oauthtoken') && ex.response?.status === 200) {
      const token = (JSON.parse(ex.response.body) as { access_token: string }).access_token;
      (issued.get(origin) ?? issued.set(origin, new Set()).get(origin)!).add(token);
    }
  }
  return { sent, issued };
}

describe('UCWA discovery over HTTP', () => {
  const sims = useSimulators();
  let transport: RecordingTransport;
  beforeEach(() => (transport = new RecordingTransport()));
  afterEach(() => transport.close());

  for (const representation of REPRESENTATIONS) {
    describe(`(${representation})`, () => {
      it('follows an explicit discovery URL to the applications link, the root fetched without a token', async () => {
        const sim = await sims.start();
        const session = sessionFor(transport, ALICE, representation);
        const result = await discover(session, { discoveryUrl: sim.discoveryUrl });
        assert.equal(result.poolOrigin, sim.origin);
        assert.equal(result.applicationsUrl, `${sim.origin}/ucwa/oauth/v1/applications`);
        const root = transport.exchanges[0];
        assert.equal(root.request.url.pathname, '/');
        assert.equal(root.request.headers.Authorization, undefined, 'the discovery root is anonymous');
        assert.match(root.response!.headers['content-type'] as string, representation === 'xml' ? /xml/ : /json/);
        // One challenge, one grant, then the user resource with the token.
        const paths = transport.exchanges.map((e) => `${e.request.method} ${e.request.url.pathname} ${e.response?.status}`);
        assert.deepEqual(paths, [
          'GET / 200',
          'GET /Autodiscover/AutodiscoverService.svc/root/oauth/user 401',
          'POST /WebTicket/oauthtoken 200',
          'GET /Autodiscover/AutodiscoverService.svc/root/oauth/user 200',
        ]);
        assert.deepEqual(session.origins.list(), [sim.origin]);
      });

      it('follows a root that has only a redirect, and signs in only at the pool that is reached', async () => {
        const sim = await sims.start({ secondaryPool: true, rootRedirect: true });
        const session = sessionFor(transport, DAVE, representation);
        const result = await discover(session, { discoveryUrl: sim.discoveryUrl });
        const secondary = sim.secondaryOrigin!;
        assert.equal(result.poolOrigin, secondary);
        assert.equal(result.applicationsUrl, `${secondary}/ucwa/oauth/v1/applications`);
        const { sent, issued } = tokensByOrigin(transport);
        assert.equal(sent.get(sim.origin), undefined, 'no token went to the redirecting root');
        assert.deepEqual([...sent.get(secondary)!], [...issued.get(secondary)!]);
        // The application can be created where discovery led.
        const admin = new Admin(sim);
        const posted = await session.post(result.applicationsUrl, { json: { UserAgent: 't/1', EndpointId: 'e1', Culture: 'en-US' } });
        assert.equal(posted.status, 201);
        assert.equal((await admin.applications(DAVE))[0].pool, 'secondary');
      });

      it('for a user homed in the other pool, gets a separate token from each host and sends each only to its issuer', async () => {
        const sim = await sims.start({ secondaryPool: true });
        const session = sessionFor(transport, DAVE, representation);
        const result = await discover(session, { discoveryUrl: sim.discoveryUrl });
        const secondary = sim.secondaryOrigin!;
        assert.equal(result.poolOrigin, secondary);
        const { sent, issued } = tokensByOrigin(transport);
        const primaryTokens = [...issued.get(sim.origin)!];
        const secondaryTokens = [...issued.get(secondary)!];
        assert.equal(primaryTokens.length, 1);
        assert.equal(secondaryTokens.length, 1);
        assert.notEqual(primaryTokens[0], secondaryTokens[0]);
        assert.deepEqual([...sent.get(sim.origin)!], primaryTokens, 'the primary pool saw only its own token');
        assert.deepEqual([...sent.get(secondary)!], secondaryTokens, 'the secondary pool saw only its own token');
        assert.deepEqual(session.origins.list().sort(), [sim.origin, secondary].sort());
        // The simulator agrees: each pool issued one token through its own WebTicket service.
        const grants = await new Admin(sim).requests({ path: '/WebTicket/oauthtoken' });
        assert.deepEqual(grants.map((g) => g.pool).sort(), ['primary', 'secondary']);
      });
    });
  }

  it('a SIP domain whose discovery hosts do not resolve fails quickly with a DiscoveryError naming both hosts', async () => {
    const session = new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), defaultTimeoutMs: 3000 });
    const err = await discover(session, { domain: 'example.invalid' }).then(
      () => assert.fail('discovery must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DiscoveryError, `got ${String(err)}`);
    assert.match(err.message, /lyncdiscoverinternal\.example\.invalid/);
    assert.match(err.message, /lyncdiscover\.example\.invalid/);
    assert.deepEqual(
      transport.exchanges.map((e) => e.request.url.host),
      ['lyncdiscoverinternal.example.invalid', 'lyncdiscover.example.invalid'],
      'internal first, then external',
    );
    assert.ok(transport.exchanges.every((e) => e.request.headers.Authorization === undefined));
  });

  describe('a SIP domain: the internal name fails in the ways the reference lists, the external one is used', () => {
    /** Name resolution for the test: a host answers with `answer`, or is served by the simulator. */
    class Hosts implements HttpTransport {
      constructor(
        private readonly inner: HttpTransport,
        private readonly routes: Record<string, string | ((req: HttpRequest) => HttpResponse)>,
      ) {}
      send(req: HttpRequest): Promise<HttpResponse> {
        const route = this.routes[req.url.host];
        if (typeof route === 'function') return Promise.resolve(route(req));
        return this.inner.send(route ? { ...req, url: new URL(`${req.url.pathname}${req.url.search}`, route) } : req);
      }
    }
    const answers: Record<string, (req: HttpRequest) => HttpResponse> = {
      'a redirect to another domain': () => ({ status: 302, headers: { location: 'https://login.example.net/' }, body: '' }),
      'a default web page': () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>It works!</body></html>' }),
      'a 404': () => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<html>Not Found</html>' }),
    };
    for (const [what, answer] of Object.entries(answers)) {
      it(`internal answers ${what}: discovery goes on to lyncdiscover.<domain>`, async () => {
        const sim = await sims.start();
        const hosts = new Hosts(transport, { 'lyncdiscoverinternal.contoso.test': answer, 'lyncdiscover.contoso.test': sim.discoveryUrl });
        const session = new UcwaSession({ transport: hosts, tokens: new PasswordTokenProvider(hosts, { username: ALICE, password: PASSWORD }) });
        const found = await discover(session, { domain: 'contoso.test' });
        assert.match(found.applicationsUrl, /\/ucwa\/oauth\/v1\/applications$/);
      });
    }

    it('a 500 from the internal name is not a reason to go elsewhere: it is reported', async () => {
      const hosts = new Hosts(transport, { 'lyncdiscoverinternal.contoso.test': () => ({ status: 500, headers: {}, body: '' }), 'lyncdiscover.contoso.test': () => assert.fail('not asked') });
      const session = new UcwaSession({ transport: hosts, tokens: new PasswordTokenProvider(hosts, { username: ALICE, password: PASSWORD }) });
      await assert.rejects(discover(session, { domain: 'contoso.test' }), (e: unknown) => !(e instanceof DiscoveryError) && /500/.test(String(e)));
    });
  });

  it('without a URL or a domain, discovery says what is missing', async () => {
    const session = sessionFor(transport, ALICE, 'json');
    await assert.rejects(discover(session, {}), (e: unknown) => e instanceof DiscoveryError && /discovery URL or a SIP domain/.test(e.message));
  });

  it('refuses a plain-HTTP discovery URL to a non-loopback host before sending anything', async () => {
    const session = sessionFor(transport, ALICE, 'json');
    await assert.rejects(discover(session, { discoveryUrl: 'http://lyncdiscover.example.com/' }), UcwaOriginError);
    assert.equal(transport.exchanges.length, 0);
  });
});
