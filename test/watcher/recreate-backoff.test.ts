// A pool that keeps refusing the event channel with 404/410 must not get a new UCWA application per round trip: an
// application that had worked and vanished is replaced at once, one that never worked only after the backoff, and
// the 410 subcodes that say "no more applications" (TooManyApplications, UserAgentNotAllowed) wait the long backoff.
// Gaps are lower bounds on real time (slowness can only widen them); the jitter is fixed at its top.
import assert from 'node:assert/strict';
import type { Representation } from '../../src/ucwa/session';
import { ALICE, useRigs, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];

describe('watcher: re-creating the application under a pool that keeps refusing it', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  /** Times of POST /applications, as the client sent them. */
  const creationTimes = (rig: ReturnType<typeof rigs.make>) => {
    const times: number[] = [];
    const before = rig.transport.hold;
    rig.transport.hold = (req) => {
      if (req.method === 'POST' && /\/applications$/.test(req.url.pathname)) times.push(Date.now());
      return before?.(req);
    };
    return times;
  };
  const gapsOf = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

  for (const representation of REPRESENTATIONS) {
    it(`404 on every P-GET: one immediate replacement, then new applications only at the backoff's pace; recovers when it stops (${representation})`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim, { timing: { backoff: { baseMs: 150, maxMs: 150 } }, random: () => 0.999 });
      const created = creationTimes(rig);
      rig.start(ALICE, { representation });
      await rig.connected(ALICE);
      // The first application works: a P-GET comes back (empty, at the hold's end) before the fault.
      await rig.admin.until(() => rig.admin.requests({ path: '/events' }), (log) => log.some((r) => r.status === 200), 'a P-GET answered');
      await rig.admin.fault({ kind: 'status', path: '/events', status: 404, count: 10_000 });
      await rig.admin.until(async () => created.length, (n) => n >= 6, 'six applications');
      await rig.admin.clearFaults();

      const gaps = gapsOf(created);
      // created[1] replaced the working application at once; every later one followed an application that never
      // got a single P-GET through, so it waited the backoff (149 ms with the jitter at its top).
      for (const gap of gaps.slice(1, 5)) assert.ok(gap >= 140, `a new application ${gap} ms after the last one: ${JSON.stringify(gaps)}`);

      // Once the pool behaves, the watcher settles on one working application again.
      await rig.admin.until(() => rig.admin.applications(ALICE), (apps) => apps.some((a) => a.madeAvailable && a.parked), 'an application listening again');
      const id = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'after the refusals' });
      await rig.record(id, (r) => r.state === 'pending', 'the invitation after the refusals');
    });
  }

  for (const subcode of ['TooManyApplications', 'UserAgentNotAllowed']) {
    it(`410 ${subcode}: waits the long backoff before another application, and says why in the account's status`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim, { timing: { backoff: { baseMs: 5, maxMs: 5 }, authBackoff: { baseMs: 300, maxMs: 300 } }, random: () => 0.999 });
      const created = creationTimes(rig);
      rig.start(ALICE);
      await rig.connected(ALICE);
      await rig.admin.until(() => rig.admin.requests({ path: '/events' }), (log) => log.some((r) => r.status === 200), 'a P-GET answered');
      await rig.admin.fault({ kind: 'status', path: '/events', status: 410, code: 'Gone', subcode, count: 10_000 });
      await rig.admin.until(async () => created.length, (n) => n >= 3, 'three applications');
      await rig.admin.clearFaults();
      for (const gap of gapsOf(created).slice(1)) assert.ok(gap >= 290, `a new application only ${gap} ms after a ${subcode}`);
      assert.ok(gapsOf(created)[0] >= 290, 'not even the first replacement is immediate');
      const refused = rig.statuses.items.find((s) => s.accountId === ALICE && s.state === 'reconnecting' && (s.lastError ?? '').includes(subcode));
      assert.ok(refused, `a status names ${subcode}: ${JSON.stringify(rig.statuses.items.map((s) => [s.state, s.lastError]))}`);
      await rig.admin.until(() => rig.admin.applications(ALICE), (apps) => apps.some((a) => a.madeAvailable && a.parked), 'an application listening again');
    });
  }
});
