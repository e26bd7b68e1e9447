// An application the watcher gives up is signed out on the pool (DELETE) before it makes another, whenever the pool
// still answers for it: after 404/410 on its event channel, and when a stored application will not be continued
// after a restart. A user never holds more than one application of ours. A stored href on a host the discovery chain
// did not establish is never called.
import assert from 'node:assert/strict';
import { createRepositories, MemoryStorage } from '../../src/store';
import { ALICE, LoggedRequest, StrangerServer, useRigs, useSimulators } from '../support/ucwa-harness';

const APPLICATIONS = '/ucwa/oauth/v1/applications';

const creations = (log: LoggedRequest[]) => log.filter((r) => r.method === 'POST' && r.path === APPLICATIONS);

describe('watcher: applications it gives up are signed out', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  for (const [status, code] of [
    [404, 'NotFound'],
    [410, 'Gone'],
  ] as const) {
    it(`${status} on the event channel of an application that still lives: it is deleted before the next one is made`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim);
      rig.start(ALICE);
      await rig.connected(ALICE);
      const [old] = await rig.admin.applications(ALICE);
      const since = await rig.admin.lastSeq();
      await rig.admin.fault({ kind: 'status', path: `${old.href}/events`, status, code, count: 1 });
      const apps = await rig.admin.until(() => rig.admin.applications(ALICE), (a) => a.some((x) => x.id !== old.id && x.parked), 'a new application listening');
      assert.deepEqual(
        apps.map((a) => a.id),
        [apps.find((a) => a.id !== old.id)!.id],
        'only the new application is left on the pool',
      );
      const log = await rig.admin.requests({ since });
      const deleted = log.findIndex((r) => r.method === 'DELETE' && r.path === old.href);
      assert.ok(deleted >= 0, 'the old application was deleted');
      assert.equal(log[deleted].status, 204);
      assert.ok(deleted < log.indexOf(creations(log)[0]), 'before the new one was created');
      const id = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
      assert.equal((await rig.admin.invitation(id)).endpoints.length, 1, 'the invitation reaches one application of ours');
      await rig.record(id, (r) => r.state === 'pending', 'an invitation on the new application');
    });
  }

  it('a given-up application whose DELETE fails is tried once more (at the latest when the account signs out)', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    const watcher = rig.start(ALICE);
    await rig.connected(ALICE);
    const [old] = await rig.admin.applications(ALICE);
    await rig.admin.fault({ kind: 'status', method: 'DELETE', path: old.href, status: 503, code: 'ServiceUnavailable', count: 1 });
    await rig.admin.fault({ kind: 'status', path: `${old.href}/events`, status: 404, code: 'NotFound', count: 1 });
    const apps = await rig.admin.until(() => rig.admin.applications(ALICE), (a) => a.some((x) => x.id !== old.id && x.parked), 'a new application listening');
    assert.ok(apps.some((a) => a.id === old.id), 'the first DELETE failed: the old application is still there');
    await watcher.stop();
    assert.deepEqual(await rig.admin.applications(ALICE), [], 'signing out deleted the new application and, on its second try, the old one');
  });

  it('a stored application that will not be continued after a restart (it answers 500): deleted before a new one is made', async () => {
    const sim = await sims.start();
    const repositories = createRepositories(new MemoryStorage());
    const rig1 = rigs.make(sim, { repositories });
    const watcher = rig1.start(ALICE);
    await rig1.connected(ALICE);
    const [old] = await rig1.admin.applications(ALICE);
    await watcher.kill();
    const since = await rig1.admin.lastSeq();
    await rig1.admin.fault({ kind: 'status', method: 'GET', path: old.href, status: 500, count: 1 });

    const rig2 = rigs.make(sim, { repositories });
    rig2.start(ALICE);
    await rig2.connected(ALICE);
    const apps = await rig2.admin.applications(ALICE);
    assert.equal(apps.length, 1, `applications on the pool: ${apps.map((a) => a.id).join(', ')}`);
    assert.notEqual(apps[0].id, old.id);
    const log = await rig2.admin.requests({ since });
    const deleted = log.findIndex((r) => r.method === 'DELETE' && r.path === old.href);
    assert.ok(deleted >= 0 && log[deleted].status === 204, 'the stored application was deleted');
    assert.ok(deleted < log.indexOf(creations(log)[0]), 'before the new one was created');
  });

  it('a stored application on a host the discovery chain did not establish is neither continued nor deleted', async () => {
    const sim = await sims.start();
    const stranger = await new StrangerServer().start();
    try {
      const repositories = createRepositories(new MemoryStorage());
      await repositories.accounts.save({ accountId: ALICE, sip: `sip:${ALICE}`, applicationHref: `${stranger.origin}${APPLICATIONS}/1`, eventsHref: `${stranger.origin}${APPLICATIONS}/1/events?ack=1`, status: 'stopped' });
      const rig = rigs.make(sim, { repositories });
      rig.start(ALICE);
      await rig.connected(ALICE);
      assert.equal((await rig.admin.applications(ALICE)).length, 1);
      assert.deepEqual(stranger.requests, [], 'the stranger saw no request (and no token)');
    } finally {
      await stranger.stop();
    }
  });
});
