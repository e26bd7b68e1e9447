// A 404 from a read beside the event channel (the conversations list, during the reconciliation after a resync) says
// that resource is missing, not that the application is gone: the application is kept, nothing is re-created, and an
// accept in flight ends connected.
import assert from 'node:assert/strict';
import type { HttpRequest, HttpResponse } from '../../src/ucwa/http';
import { ALICE, Gate, RecordingTransport, useRigs, useSimulators } from '../support/ucwa-harness';

/** Can hold a request before it leaves (the accept "in flight"). */
class HoldingTransport extends RecordingTransport {
  beforeSend?: (request: HttpRequest) => Promise<void> | undefined;

  override async send(request: HttpRequest): Promise<HttpResponse> {
    await this.beforeSend?.(request);
    return super.send(request);
  }
}

describe('watcher: a missing secondary resource is just missing', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  for (const status of [404, 410] as const) {
    it(`${status} on the conversations list during a resync reconciliation: the application stays and an accept in flight ends connected`, async () => {
      const sim = await sims.start();
      const transport = new HoldingTransport();
      const rig = rigs.make(sim, { transport });
      rig.start(ALICE);
      await rig.connected(ALICE);
      const [app] = await rig.admin.applications(ALICE);
      const id = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'accepted across a resync' });
      const pending = await rig.record(id, (r) => r.state === 'pending', 'pending');

      const accept = new Gate();
      accept.closed = true;
      transport.beforeSend = (r) => (r.method === 'POST' && r.url.pathname.endsWith('/accept') ? accept.wait() : undefined);
      const acting = rig.sup.act(pending.id, 'accept');
      await rig.admin.until(async () => accept.held, (n) => n > 0, 'the accept is on its way');
      assert.equal((await rig.repositories.invitations.get(pending.id))?.state, 'accepting');

      const since = await rig.admin.lastSeq();
      await rig.admin.fault({ kind: 'status', method: 'GET', path: '/communication/conversations', status, count: 1 });
      await rig.admin.fault({ kind: 'resync', user: ALICE });
      await rig.admin.until(() => rig.admin.requests({ since, path: '/communication/conversations' }), (log) => log.some((r) => r.status === status), `the conversations list answered ${status}`);
      // The reconciliation has run into the missing list; the channel goes on with the same application.
      await rig.admin.until(() => rig.admin.requests({ since, path: '/events' }), (log) => log.some((r) => r.status === 200), 'a P-GET answered after it');

      accept.open();
      assert.equal((await acting).kind, 'done');
      const final = await rig.record(id, (r) => r.state !== 'accepting' && r.state !== 'pending', 'the outcome of the accept');
      assert.equal(final.state, 'connected', `got ${final.state} ${JSON.stringify(final.outcomeReason)}`);

      const log = await rig.admin.requests({ since });
      assert.deepEqual(log.filter((r) => r.method === 'DELETE').map((r) => r.path), [], 'no application was signed out');
      assert.deepEqual(log.filter((r) => r.method === 'POST' && r.path === '/ucwa/oauth/v1/applications'), [], 'no application was created');
      assert.deepEqual((await rig.admin.applications(ALICE)).map((a) => a.id), [app.id]);
    });
  }
});
