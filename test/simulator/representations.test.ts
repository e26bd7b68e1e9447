// Representations chosen by Accept: plain JSON, the UCWA vendor JSON type and UCWA XML, for resources, events and
// errors; errors in the documented {code, subcode, message} shape (XML: <reason>).
import assert from 'node:assert/strict';
import { rawRequest } from '../support/raw-http';
import { parseError, parseEvents, parseResource, Session, UCWA_JSON, UCWA_NS, UCWA_XML, useSimulators, xmlRoot } from './helpers';

const VARIANTS = [
  { accept: 'application/json', contentType: 'application/json; charset=utf-8', format: 'json' },
  { accept: UCWA_JSON, contentType: `${UCWA_JSON}; charset=utf-8`, format: 'json' },
  { accept: UCWA_XML, contentType: `${UCWA_XML}; charset=utf-8`, format: 'xml' },
] as const;

describe('simulator: representations', () => {
  const sims = useSimulators();

  async function signedIn(): Promise<{ origin: string; token: string; appHref: string; eventsHref: string }> {
    const sim = await sims.start();
    const s = await Session.signIn(sim.origin, 'alexw@example.com');
    const app = await s.createApplication();
    return { origin: sim.origin, token: s.token, appHref: app.href, eventsHref: app.eventsHref };
  }

  for (const v of VARIANTS) {
    describe(`Accept: ${v.accept}`, () => {
      const get = (origin: string, token: string, href: string) => rawRequest(`${origin}${href}`, { headers: { Accept: v.accept, Authorization: `Bearer ${token}` } });

      it('answers resources in that representation and echoes the type', async () => {
        const { origin, token, appHref } = await signedIn();
        const res = await get(origin, token, appHref);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], v.contentType);
        const app = parseResource(v.format, res.body);
        assert.equal(app.rel, 'application');
        assert.equal(app.href, appHref);
        if (v.format === 'xml') {
          const root = xmlRoot(res.body);
          assert.equal(root.name, 'resource');
          assert.equal(root.attrs.xmlns, UCWA_NS);
          assert.deepEqual(root.attrs, { rel: 'application', href: appHref, xmlns: UCWA_NS });
        } else {
          const obj = JSON.parse(res.body) as Record<string, unknown>;
          assert.equal(obj.rel, 'application');
          assert.ok(typeof obj._links === 'object' && typeof obj._embedded === 'object');
        }
      });

      it('answers events in that representation', async () => {
        const { origin, token, eventsHref } = await signedIn();
        const res = await get(origin, token, `${eventsHref}&timeout=180`);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], v.contentType);
        const page = parseEvents(v.format, res.body);
        assert.equal(page.self, eventsHref);
      });

      it('answers errors in that representation with code, subcode and message', async () => {
        const { origin, token, appHref } = await signedIn();
        const res = await get(origin, token, `${appHref}/no/such/thing`);
        assert.equal(res.status, 404);
        assert.equal(res.headers['content-type'], v.contentType);
        const reason = parseError(v.format, res.body);
        assert.equal(reason.code, 'NotFound');
        assert.equal(reason.subcode, 'ResourceNotFound');
        assert.ok(reason.message);
        if (v.format === 'json') {
          assert.deepEqual(Object.keys(JSON.parse(res.body) as object).sort(), ['code', 'message', 'subcode']);
        } else {
          const root = xmlRoot(res.body);
          assert.equal(root.name, 'reason');
          assert.deepEqual(root.children.map((c) => c.name), ['code', 'subcode', 'message']);
        }
      });

      it('answers a wrong method with 405 MethodNotAllowed in that representation', async () => {
        const { origin, token, eventsHref } = await signedIn();
        const res = await rawRequest(`${origin}${eventsHref}`, { method: 'DELETE', headers: { Accept: v.accept, Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 405);
        assert.equal(res.headers['content-type'], v.contentType);
        assert.equal(parseError(v.format, res.body).code, 'MethodNotAllowed');
      });
    });
  }

  it('omits subcode from an error that has none', async () => {
    const sim = await sims.start();
    const s = await Session.signIn(sim.origin, 'alexw@example.com', 'xml');
    const other = await Session.signIn(sim.origin, 'meganb@example.com', 'xml');
    const app = await other.createApplication();
    const res = await s.get(app.href);
    assert.equal(res.status, 403);
    assert.deepEqual(xmlRoot(res.body).children.map((c) => c.name), ['code', 'message']);
    const json = await rawRequest(`${sim.origin}${app.href}`, { headers: { Authorization: `Bearer ${s.token}` } });
    assert.deepEqual(Object.keys(JSON.parse(json.body) as object).sort(), ['code', 'message']);
  });

  it('defaults to JSON without an Accept header, and serves XML for application/xml', async () => {
    const { origin, token, appHref } = await signedIn();
    const plain = await rawRequest(`${origin}${appHref}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(plain.headers['content-type'], 'application/json; charset=utf-8');
    const xml = await rawRequest(`${origin}${appHref}`, { headers: { Accept: 'application/xml', Authorization: `Bearer ${token}` } });
    assert.match(String(xml.headers['content-type']), /xml/);
    assert.equal(parseResource('xml', xml.body).href, appHref);
  });

  it('escapes markup in XML text and attributes', async () => {
    const sim = await sims.start();
    const s = await Session.signIn(sim.origin, 'alexw@example.com', 'xml');
    const app = await s.createApplication({ UserAgent: 'a<b>&"c"' });
    const res = await s.get(app.href);
    assert.equal(parseResource('xml', res.body).props.userAgent, 'a<b>&"c"');
    assert.ok(!res.body.includes('a<b>'));
  });

  it('answers the challenge as HTML whatever the Accept header', async () => {
    const sim = await sims.start();
    for (const v of VARIANTS) {
      const res = await rawRequest(`${sim.origin}/ucwa/oauth/v1/applications`, { headers: { Accept: v.accept } });
      assert.equal(res.status, 401);
      assert.match(String(res.headers['content-type']), /^text\/html/);
    }
  });
});
