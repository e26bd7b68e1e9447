// The watcher's session lifecycle against the simulator over real HTTP: status per account (connecting, connected,
// reconnecting, authFailed, stopped, last event time), reportMyActivity on a timer, re-creating the application
// (and makeMeAvailable) on 404 and 410, DELETE on stop, reconciliation after resync (resume: resume-reset.test.ts), and one P-GET at a
// time through every fault the simulator can inject.
import assert from 'node:assert/strict';
import type { AccountStatus, InvitationRecord } from '../../src/store';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import type { Representation } from '../../src/ucwa/session';
import { ALICE, Gate, PASSWORD, useRigs, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const isState = (state: InvitationRecord['state']) => (r: InvitationRecord) => r.state === state;

/** The account's status sequence with consecutive repeats folded. */
function statesOf(items: Array<{ accountId: string; state: AccountStatus }>, upn: string): AccountStatus[] {
  return items.filter((s) => s.accountId === upn).map((s) => s.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

describe('watcher: session lifecycle', () => {
  const rigs = useRigs();
  const sims = useSimulators();

  it('status: connecting -> connected -> reconnecting -> connected -> stopped, with the last event time and error', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    assert.equal(rig.start(ALICE).currentStatus.state, 'connecting');
    await rig.connected(ALICE);
    const id = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
    await rig.record(id, isState('pending'), 'pending');
    const afterEvent = rig.sup.status(ALICE)!;
    assert.ok(afterEvent.lastEventAt && !Number.isNaN(Date.parse(afterEvent.lastEventAt)), 'lastEventAt is set');
    await rig.admin.fault({ kind: 'status', path: '/events', status: 503, count: 2 });
    await rig.admin.invite({ to: ALICE, kind: 'messaging' });
    await rig.statuses.waitFor((s) => statesOf(s, ALICE).join() === 'connecting,connected,reconnecting,connected', 'recovered');
    const reconnecting = rig.statuses.items.find((s) => s.state === 'reconnecting')!;
    assert.match(reconnecting.lastError ?? '', /503/);
    assert.equal(rig.sup.status(ALICE)!.lastError, undefined, 'cleared once connected');
    // The status event comes first, the stored session right after it.
    const stored = await rig.admin.until(() => rig.repositories.accounts.get(ALICE), (x) => x?.status === 'connected', 'the stored status');
    assert.ok(stored?.applicationHref && stored.eventsHref && stored.poolOrigin === sim.origin);
    await rig.sup.stop(ALICE);
    assert.equal(statesOf(rig.statuses.items, ALICE).pop(), 'stopped');
    assert.equal((await rig.repositories.accounts.get(ALICE))?.status, 'stopped');
    assert.equal(rig.sup.status(ALICE), undefined, 'no longer watched');
  });

  it('a wrong password: authFailed with a clear error and no password; retried with the auth backoff; stopped', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    const wrong = 'N0t-The-Passw0rd!';
    rig.start(ALICE, {}, wrong);
    const failed = await rig.statuses.waitFor((s) => s.find((x) => x.state === 'authFailed'), 'authFailed');
    assert.match(failed.lastError ?? '', /invalid_grant/);
    assert.ok(!(failed.lastError ?? '').includes(wrong) && !(failed.lastError ?? '').includes(PASSWORD));
    // It keeps trying (auth backoff is small here), and stays authFailed meanwhile.
    await rig.admin.until(() => rig.admin.requests({ path: '/WebTicket/oauthtoken' }), (l) => l.length >= 3, 'repeated sign-in attempts');
    assert.equal(rig.sup.status(ALICE)?.state, 'authFailed');
    await rig.sup.stop(ALICE);
    assert.deepEqual(statesOf(rig.statuses.items, ALICE), ['connecting', 'authFailed', 'stopped']);
    assert.deepEqual(await rig.admin.applications(ALICE), [], 'no application was ever created');
  });

  it('sign-in refused mid-session (password changed): authFailed, then the same application continues once it is fixed', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    const credentials = { username: ALICE, password: PASSWORD };
    rig.start(ALICE, { tokens: new PasswordTokenProvider(rig.transport, credentials) });
    await rig.connected(ALICE);
    const [app] = await rig.admin.applications(ALICE);
    const id = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting' });
    const r = await rig.record(id, isState('pending'), 'pending');
    credentials.password = 'changed-by-the-admin';
    await rig.admin.fault({ kind: 'expireTokens', user: ALICE });
    await rig.statuses.waitFor((s) => s.some((x) => x.state === 'authFailed'), 'authFailed');
    credentials.password = PASSWORD;
    await rig.statuses.waitFor((s) => statesOf(s, ALICE).slice(-1)[0] === 'connected' && statesOf(s, ALICE).includes('authFailed'), 'connected again');
    assert.deepEqual((await rig.admin.applications(ALICE)).map((a) => a.id), [app.id], 'the same application, no orphan');
    assert.equal((await rig.admin.requests({ method: 'POST', path: '/ucwa/oauth/v1/applications' })).filter((x) => x.status === 201).length, 1);
    assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'done', 'the invitation from before is still answerable');
    await rig.record(id, isState('connected'), 'connected');
  });

  it('reports activity on a timer', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim, { timing: { reportActivitySeconds: 0.03 } });
    rig.start(ALICE);
    await rig.connected(ALICE);
    const reports = await rig.admin.until(() => rig.admin.requests({ path: '/me/reportMyActivity' }), (l) => l.length >= 3, 'three activity reports');
    assert.ok(reports.every((r) => r.method === 'POST' && r.status === 204));
    const [app] = await rig.admin.applications(ALICE);
    assert.ok(reports.every((r) => r.path === `${app.href}/me/reportMyActivity`), 'the link the application gave');
  });

  it('no activity report before makeMeAvailable could have offered the link, and none after stop', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim, { timing: { reportActivitySeconds: 0.02 } });
    rig.start(ALICE);
    await rig.connected(ALICE);
    await rig.admin.until(() => rig.admin.requests({ path: '/me/reportMyActivity' }), (l) => l.length >= 1, 'an activity report');
    await rig.sup.stop(ALICE);
    const after = await rig.admin.lastSeq();
    // Poll the log a few times: nothing more arrives from a stopped watcher.
    for (let i = 0; i < 5; i++) await rig.admin.requests();
    assert.deepEqual(await rig.admin.requests({ since: after, path: '/ucwa/' }), []);
    const log = await rig.admin.requests();
    assert.ok(!log.some((r) => r.path.endsWith('/reportMyActivity') && r.status === 409), 'never before makeMeAvailable');
  });

  for (const representation of REPRESENTATIONS) {
    for (const goneStatus of [404, 410] as const) {
      it(`the application is gone (${goneStatus}): a new one is created and made available, open invitations end (${representation})`, async () => {
        const sim = await sims.start({ applicationGoneStatus: goneStatus });
        const rig = rigs.make(sim);
        rig.start(ALICE, { representation });
        await rig.connected(ALICE);
        const [first] = await rig.admin.applications(ALICE);
        const orphan = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', subject: 'before the expiry' });
        await rig.record(orphan, isState('pending'), 'pending');
        await rig.admin.fault({ kind: 'expireApplications', user: ALICE });
        const ended = await rig.record(orphan, isState('ended'), 'the orphaned invitation ends');
        assert.equal(ended.reason, 'applicationLost');
        await rig.admin.until(() => rig.admin.applications(ALICE), (a) => a.length === 1 && a[0].id !== first.id && a[0].madeAvailable && a[0].parked, 'a new application, available and listening');
        const log = await rig.admin.requests();
        const goneAnswers = log.filter((r) => r.path.startsWith(first.href) && r.status === goneStatus);
        assert.ok(goneAnswers.length >= 1, `the old application answered ${goneStatus}`);
        assert.equal(log.filter((r) => r.method === 'POST' && r.path === '/ucwa/oauth/v1/applications').length, 2);
        assert.equal(log.filter((r) => r.path.endsWith('/makeMeAvailable') && r.status === 204).length, 2);
        assert.deepEqual(statesOf(rig.statuses.items, ALICE), ['connecting', 'connected', 'reconnecting', 'connected']);
        const stored = await rig.repositories.accounts.get(ALICE);
        assert.ok(stored?.applicationHref?.endsWith(`/${(await rig.admin.applications(ALICE))[0].id}`), 'the stored session follows the new application');
        const after = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'after the expiry' });
        const r = await rig.record(after, isState('pending'), 'the next invitation');
        assert.equal((await rig.sup.act(r.id, 'accept')).kind, 'done');
        await rig.record(after, isState('connected'), 'connected on the new application');
      });
    }
  }

  it('makeMeAvailable fails once: the half-made application is signed out, not left on the pool', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    await rig.admin.fault({ kind: 'status', path: '/me/makeMeAvailable', status: 500, count: 1 });
    rig.start(ALICE);
    await rig.connected(ALICE);
    const apps = await rig.admin.applications(ALICE);
    assert.equal(apps.length, 1, `applications on the pool: ${apps.map((a) => a.id).join(', ')}`);
    const log = await rig.admin.requests();
    const created = log.filter((r) => r.method === 'POST' && r.path === '/ucwa/oauth/v1/applications');
    assert.equal(created.length, 2);
    assert.equal(log.filter((r) => r.method === 'DELETE').length, 1, 'the first one was deleted');
  });

  it('502 on the event channel: discovery is repeated and the same application continues', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    rig.start(ALICE);
    await rig.connected(ALICE);
    const [app] = await rig.admin.applications(ALICE);
    const since = await rig.admin.lastSeq();
    await rig.admin.fault({ kind: 'status', path: '/events', status: 502, count: 1 });
    const id = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
    await rig.record(id, isState('pending'), 'pending');
    const next = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
    await rig.record(next, isState('pending'), 'the invitation after the 502');
    const log = await rig.admin.requests({ since });
    const bad = log.findIndex((r) => r.status === 502);
    assert.ok(bad >= 0);
    assert.ok(log.slice(bad).some((r) => r.path === '/' && r.method === 'GET'), 'the discovery root was asked again');
    assert.deepEqual((await rig.admin.applications(ALICE)).map((a) => a.id), [app.id], 'no new application');
    assert.deepEqual(rig.sup.status(ALICE)?.modalities, ['Messaging', 'Audio']);
  });

  for (const [status, path] of [
    [502, '/ucwa/oauth/v1/applications'],
    [403, '/ucwa/oauth/v1/applications'],
    [502, '/me/makeMeAvailable'],
  ] as const) {
    it(`${status} while setting up the application (${path}): discovery is repeated before the next try`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim);
      await rig.admin.fault({ kind: 'status', path, method: 'POST', status, code: status === 403 ? 'Forbidden' : 'BadGateway', count: 1 });
      rig.start(ALICE);
      await rig.connected(ALICE);
      const log = await rig.admin.requests();
      const bad = log.findIndex((r) => r.status === status);
      assert.ok(bad >= 0, `the pool answered ${status}`);
      assert.ok(log.slice(0, bad).some((r) => r.path === '/' && r.method === 'GET'), 'discovered before');
      assert.ok(log.slice(bad).some((r) => r.path === '/' && r.method === 'GET'), 'and the discovery root was asked again after it');
      const id = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
      await rig.record(id, isState('pending'), 'an invitation once set up');
    });
  }

  it('stop deletes the application (sign out) and forgets it', async () => {
    const sim = await sims.start();
    const rig = rigs.make(sim);
    rig.start(ALICE);
    await rig.connected(ALICE);
    const [app] = await rig.admin.applications(ALICE);
    await rig.sup.stop(ALICE);
    const del = await rig.admin.requests({ method: 'DELETE' });
    assert.deepEqual(del.map((d) => [d.path, d.status]), [[app.href, 204]]);
    assert.deepEqual(await rig.admin.applications(ALICE), []);
    const stored = await rig.repositories.accounts.get(ALICE);
    assert.equal(stored?.status, 'stopped');
    assert.equal(stored?.applicationHref, undefined, 'a later start does not try the deleted application');
    // Starting again creates a fresh application straight away.
    const since = await rig.admin.lastSeq();
    rig.start(ALICE);
    await rig.admin.parked(ALICE);
    const log = await rig.admin.requests({ since });
    assert.ok(!log.some((r) => r.method === 'GET' && r.path === app.href), 'the deleted application was not probed');
  });

  for (const representation of REPRESENTATIONS) {
    it(`resync: the outcome delivered after it wins over reconciliation; the lobby still works (${representation})`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim);
      rig.start(ALICE, { representation });
      await rig.connected(ALICE);
      const cancelled = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: 'cancelled during the resync' });
      const lobby = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', lobby: true, subject: 'lobby across a resync' });
      await rig.record(cancelled, isState('pending'), 'pending');
      const l = await rig.record(lobby, isState('pending'), 'pending');
      // Hold the resync answer until the caller has cancelled: the batch after the resync carries the outcome.
      const gate = new Gate();
      rig.transport.hold = (req) => (req.url.pathname.endsWith('/events') ? gate.wait() : undefined);
      await rig.admin.parked(ALICE);
      gate.closed = true;
      await rig.admin.fault({ kind: 'resync', user: ALICE });
      await rig.admin.until(async () => gate.held, (n) => n > 0, 'the resync answer is held');
      await rig.admin.move(cancelled, 'cancel');
      gate.open();
      const final = await rig.record(cancelled, (r) => r.state !== 'pending', 'the outcome');
      assert.equal(final.state, 'cancelledBySender', `got ${final.state} ${JSON.stringify(final.outcomeReason)}`);
      const states = rig.changes.items.filter((c) => c.record.invitationHref.endsWith(`/${cancelled}`)).map((c) => c.record.state);
      assert.deepEqual(states, ['pending', 'cancelledBySender'], 'no interim "connection lost" card before the real outcome');
      // Lobby events of an invitation that started before the resync are still recognised.
      assert.equal((await rig.sup.act(l.id, 'accept')).kind, 'done');
      await rig.record(lobby, isState('inLobby'), 'in the lobby');
      await rig.admin.move(lobby, 'admit');
      await rig.record(lobby, isState('connected'), 'admitted');
      const log = await rig.admin.requests();
      assert.ok(log.some((r) => r.path.includes('/communication/conversations')), 'reconciled against the active conversations');
    });
  }

  for (const representation of REPRESENTATIONS) {
    it(`through every injected fault, the simulator never had to replace a P-GET and nothing was lost (${representation})`, async () => {
      const sim = await sims.start();
      const rig = rigs.make(sim);
      rig.start(ALICE, { representation });
      await rig.connected(ALICE);
      const faults: Array<Record<string, unknown>> = [
        { kind: 'status', path: '/events', status: 500 },
        { kind: 'status', path: '/events', status: 503, retryAfter: 0 },
        { kind: 'status', path: '/events', status: 429, retryAfter: 0 },
        { kind: 'status', path: '/events', status: 502 },
        { kind: 'status', path: '/events', status: 403, code: 'Forbidden' },
        { kind: 'status', path: '/events', status: 408 },
        { kind: 'reset', path: '/events' },
        { kind: 'body', path: '/events', body: 'malformed' },
        { kind: 'body', path: '/events', body: 'html' },
        { kind: 'body', path: '/events', body: 'empty' },
        { kind: 'expireTokens', user: ALICE },
        { kind: 'resync', user: ALICE },
        { kind: 'resume', user: ALICE },
        { kind: 'expireApplications', user: ALICE },
        { kind: 'expireApplications', user: ALICE, status: 410 },
      ];
      for (const fault of faults) {
        const before = await rig.admin.parked(ALICE);
        await rig.admin.fault(fault);
        if (fault.kind === 'expireApplications') {
          // Nothing can be delivered until the watcher has a new application listening.
          await rig.admin.until(() => rig.admin.applications(ALICE), (a) => a.some((x) => x.id !== before.id && x.parked), 'a new application');
        }
        const id = await rig.admin.invite({ to: ALICE, kind: 'messaging', subject: `after ${JSON.stringify(fault)}` });
        await rig.record(id, isState('pending'), `the invitation after ${JSON.stringify(fault)}`);
      }
      const log = await rig.admin.requests();
      assert.deepEqual(log.filter((r) => r.path.includes('/events') && r.status === 409), [], 'no PGetReplaced');
      assert.equal(rig.transport.maxEventsInFlight, 1, 'never two P-GETs in flight');
      assert.equal(rig.sup.status(ALICE)?.state, 'connected');
    });
  }
});
