// The watcher's security rules end to end: an invitation whose accept link points at another origin is never
// called (nothing reaches that origin, the click is answered notOffered), and during a run full of failures no log
// line, status or stored error carries a token, a password or an Authorization value.
import assert from 'node:assert/strict';
import type { InvitationRecord } from '../../src/store';
import type { HttpResponse } from '../../src/ucwa/http';
import type { Representation } from '../../src/ucwa/session';
import { ALICE, assertNoSecrets, BOB, capturingLogger, PASSWORD, StrangerServer, useRigs, useSimulators } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const isState = (state: InvitationRecord['state']) => (r: InvitationRecord) => r.state === state;

/** Points the accept/decline links of every event at `origin` (JSON or XML). */
function actionsTo(res: HttpResponse, origin: string): HttpResponse {
  const body = res.body
    .replace(/("(?:accept|decline)":\{"href":")(\/ucwa\/)/g, `$1${origin}$2`)
    .replace(/(<link rel="(?:accept|decline)" href=")(\/ucwa\/)/g, `$1${origin}$2`);
  return { ...res, body };
}

describe('watcher: security', () => {
  const rigs = useRigs();
  const sims = useSimulators();
  const strangers: StrangerServer[] = [];
  afterEach(async () => {
    await Promise.all(strangers.splice(0).map((s) => s.stop()));
  });

  for (const representation of REPRESENTATIONS) {
    it(`an accept link to another origin is never called: the click gets notOffered, the stranger sees nothing (${representation})`, async () => {
      const stranger = await new StrangerServer().start('127.0.0.2');
      strangers.push(stranger);
      const sim = await sims.start();
      const rig = rigs.make(sim);
      rig.transport.rewrite = (req, res) => (req.url.pathname.endsWith('/events') ? actionsTo(res, stranger.origin) : res);
      rig.start(ALICE, { representation });
      await rig.connected(ALICE);
      const id = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting' });
      const r = await rig.record(id, isState('pending'), 'pending');
      assert.ok(r.actions.accept?.startsWith(stranger.origin), `the planted link was read: ${r.actions.accept}`);
      const accept = await rig.sup.act(r.id, 'accept');
      const decline = await rig.sup.act(r.id, 'decline');
      assert.equal(accept.kind, 'notOffered');
      assert.equal(decline.kind, 'notOffered');
      assert.equal(stranger.requests.length, 0);
      assert.equal((await rig.admin.invitation(id)).actions.length, 0);
      assert.ok(rig.transport.exchanges.every((e) => e.request.url.origin === sim.origin));
      assert.equal(rig.sup.status(ALICE)?.state, 'connected', 'the watcher carries on');
    });
  }

  it('no log line, status or stored error carries a token, a password or an Authorization value', async () => {
    const { logger, lines } = capturingLogger();
    const wrong = 'Wr0ng-B0b-Passw0rd';
    const sim = await sims.start({ tokenLifetimeSeconds: 300 });
    const rig = rigs.make(sim, { logger });
    rig.start(ALICE);
    rig.start(BOB, {}, wrong);
    await rig.connected(ALICE);
    await rig.statuses.waitFor((s) => s.some((x) => x.accountId === BOB && x.state === 'authFailed'), 'bob cannot sign in');
    const faults: Array<Record<string, unknown>> = [
      { kind: 'status', path: '/events', status: 500 },
      { kind: 'body', path: '/events', body: 'malformed' },
      { kind: 'body', path: '/events', body: 'html', status: 401 },
      { kind: 'reset', path: '/events' },
      { kind: 'expireTokens' },
      { kind: 'resync', user: ALICE },
      { kind: 'expireApplications', user: ALICE },
    ];
    const records: InvitationRecord[] = [];
    for (const fault of faults) {
      const before = await rig.admin.parked(ALICE);
      await rig.admin.fault(fault);
      if (fault.kind === 'expireApplications') {
        await rig.admin.until(() => rig.admin.applications(ALICE), (a) => a.some((x) => x.id !== before.id && x.parked), 'a new application');
      }
      const id = await rig.admin.invite({ to: ALICE, kind: 'messaging', message: 'pass=1234 &password=hunter2' });
      records.push(await rig.record(id, isState('pending'), 'pending'));
    }
    // An invitation that ends, and a click after it.
    const last = records[records.length - 1];
    const lastId = last.invitationHref.split('/').pop()!;
    await rig.admin.move(lastId, 'cancel');
    await rig.record(lastId, isState('cancelledBySender'), 'cancelled');
    assert.equal((await rig.sup.act(last.id, 'accept')).kind, 'alreadyHandled');
    await rig.sup.stop(BOB);

    const stored = await Promise.all([ALICE, BOB].map((a) => rig.repositories.accounts.get(a)));
    const texts = [
      ...lines,
      ...rig.statuses.items.map((s) => JSON.stringify(s)),
      ...stored.map((s) => JSON.stringify(s)),
      ...rig.changes.items.map((c) => JSON.stringify(c.record.outcomeReason ?? {})),
    ];
    assert.ok(lines.some((l) => /sign-in failed/.test(l)) && lines.some((l) => /event channel retry/.test(l)) && lines.some((l) => /application gone/.test(l)), 'the run logged its failures');
    assertNoSecrets(texts, rig.transport.secrets(), PASSWORD);
    assert.ok(texts.every((t) => !t.includes(wrong)), 'the wrong password is a password too');
    assert.ok(texts.every((t) => !/authorization"?\s*[:=]\s*"?bearer\s+(?!\[REDACTED\])/i.test(t)));
  });
});
