// The application lifecycle against the simulator over real HTTP, in JSON and XML: create (GUID endpoint id, user
// agent, culture), makeMeAvailable (409 AlreadyExists is done; a pool that refuses Audio falls back to Messaging;
// PhoneAudio with a phone number), reportMyActivity, attach to a living application, DELETE.
import assert from 'node:assert/strict';
import type { UcwaSimulator } from '../../src/simulator';
import { UcwaApplication } from '../../src/ucwa/application';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import { discover } from '../../src/ucwa/discovery';
import { UcwaHttpError } from '../../src/ucwa/errors';
import { Representation, UcwaSession } from '../../src/ucwa/session';
import { Admin, ALICE, PASSWORD, RecordingTransport, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const OPTIONS = { userAgent: 'AppTests/2.0', culture: 'en-GB' };

describe('UCWA application lifecycle over HTTP', () => {
  const sims = useSimulators();
  let transport: RecordingTransport;
  beforeEach(() => (transport = new RecordingTransport()));
  afterEach(() => transport.close());

  async function signedIn(sim: UcwaSimulator, representation: Representation) {
    const session = new UcwaSession({ transport, tokens: new PasswordTokenProvider(transport, { username: ALICE, password: PASSWORD }), representation });
    const { applicationsUrl } = await discover(session, { discoveryUrl: sim.discoveryUrl });
    return { session, applicationsUrl };
  }

  for (const representation of REPRESENTATIONS) {
    it(`creates, makes available (Messaging + Audio), reports activity and deletes (${representation})`, async () => {
      const sim = await sims.start();
      const admin = new Admin(sim);
      const { session, applicationsUrl } = await signedIn(sim, representation);
      const app = await UcwaApplication.create(session, applicationsUrl, OPTIONS);
      const created = (await admin.requests({ method: 'POST', path: '/ucwa/oauth/v1/applications' }))[0];
      const body = JSON.parse(created.body!) as { UserAgent: string; EndpointId: string; Culture: string };
      assert.equal(body.UserAgent, 'AppTests/2.0');
      assert.equal(body.Culture, 'en-GB');
      assert.match(body.EndpointId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(app.links.reportMyActivity, undefined, 'reportMyActivity appears only after makeMeAvailable');
      assert.ok(app.links.events.includes('/events?ack='));

      await app.makeAvailable();
      assert.deepEqual(app.modalities, ['Messaging', 'Audio']);
      assert.ok(app.links.reportMyActivity, 'picked up after makeMeAvailable');
      assert.ok(app.links.conversations);
      const [simApp] = await admin.applications(ALICE);
      assert.equal(simApp.madeAvailable, true);
      assert.deepEqual(simApp.modalities, ['Messaging', 'Audio']);

      await app.reportActivity();
      const reports = await admin.requests({ path: '/me/reportMyActivity' });
      assert.deepEqual(reports.map((r) => r.status), [204]);

      await app.delete();
      assert.deepEqual(await admin.applications(ALICE), []);
      const del = (await admin.requests({ method: 'DELETE' }))[0];
      assert.equal(del.status, 204);
      // Deleting again (already gone) is not an error.
      await app.delete();
    });

    it(`makeMeAvailable a second time: 409 AlreadyExists counts as done, modalities as the pool holds them (${representation})`, async () => {
      // Audio refused: the pool holds Messaging only, whatever the second call asked for.
      const sim = await sims.start({ refuseAudioVideoModalities: true });
      const admin = new Admin(sim);
      const { session, applicationsUrl } = await signedIn(sim, representation);
      const app = await UcwaApplication.create(session, applicationsUrl, OPTIONS);
      await app.makeAvailable();
      await app.makeAvailable();
      const posts = await admin.requests({ path: '/me/makeMeAvailable' });
      assert.deepEqual(posts.map((p) => p.status), [403, 204, 409]);
      assert.deepEqual(app.modalities, ['Messaging'], 'the modalities the pool holds, not the plan that met the 409');
    });

    it(`a pool that refuses Audio for UCWA applications: falls back to Messaging (${representation})`, async () => {
      const sim = await sims.start({ refuseAudioVideoModalities: true });
      const admin = new Admin(sim);
      const { session, applicationsUrl } = await signedIn(sim, representation);
      const app = await UcwaApplication.create(session, applicationsUrl, OPTIONS);
      await app.makeAvailable();
      assert.deepEqual(app.modalities, ['Messaging']);
      const posts = await admin.requests({ path: '/me/makeMeAvailable' });
      assert.deepEqual(posts.map((p) => [p.status, (JSON.parse(p.body!) as { SupportedModalities: string[] }).SupportedModalities]), [
        [403, ['Messaging', 'Audio']],
        [204, ['Messaging']],
      ]);
    });
  }

  it('with a phone number: registers PhoneAudio and sends the number; keeps PhoneAudio when Audio is refused', async () => {
    const sim = await sims.start({ refuseAudioVideoModalities: true });
    const admin = new Admin(sim);
    const { session, applicationsUrl } = await signedIn(sim, 'json');
    const app = await UcwaApplication.create(session, applicationsUrl, { ...OPTIONS, phoneNumber: 'tel:+14255550100' });
    await app.makeAvailable();
    assert.deepEqual(app.modalities, ['Messaging', 'PhoneAudio']);
    const last = (await admin.requests({ path: '/me/makeMeAvailable' })).pop()!;
    assert.equal((JSON.parse(last.body!) as { phoneNumber: string }).phoneNumber, 'tel:+14255550100');
  });

  it('attaches to a living application at a stored events URL, and fails clearly for a gone one', async () => {
    const sim = await sims.start();
    const admin = new Admin(sim);
    const { session, applicationsUrl } = await signedIn(sim, 'json');
    const app = await UcwaApplication.create(session, applicationsUrl, OPTIONS);
    await app.makeAvailable();
    const stored = `${app.links.events.replace(/ack=\d+/, 'ack=1')}`;
    const other = await signedIn(sim, 'xml');
    const attached = await UcwaApplication.attach(other.session, app.links.self, stored, OPTIONS);
    assert.equal(attached.links.events, stored);
    assert.equal(attached.links.self, app.links.self);
    assert.ok(attached.links.reportMyActivity);
    assert.deepEqual(attached.modalities, ['Messaging', 'Audio']);
    await attached.reportActivity();
    assert.equal((await admin.applications(ALICE)).length, 1, 'no application was created by attaching');
    await app.delete();
    await assert.rejects(UcwaApplication.attach(other.session, app.links.self, stored, OPTIONS), (e: unknown) => e instanceof UcwaHttpError && e.status === 404 && e.subcode === 'ApplicationNotFound');
  });
});
