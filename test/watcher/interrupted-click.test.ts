// A click that a crash interrupted, with the SQLite file store: the bot moved the invitation to accepting/declining
// and died before its POST reached the pool (or right after). A new process on the same file checks such clicks with
// the pool: one that never arrived is opened again (pending, card queued) so the user can press again; one that
// arrived, or an invitation that moved on or is gone, is left to the events. In JSON and XML (the check parses the
// invitation resource). Date is faked so "moved before this process started" does not hang on the wall clock.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { JsonLogger } from '../../src/logger';
import { createRepositories, SqliteStorage } from '../../src/store';
import type { InvitationRecord, InvitationState, PendingNotification, Repositories } from '../../src/store';
import type { UcwaSimulator } from '../../src/simulator';
import type { HttpRequest, HttpResponse } from '../../src/ucwa/http';
import type { Representation } from '../../src/ucwa/session';
import type { AccountWatcher } from '../../src/watcher';
import { CrashableStorage } from '../support/crashable-storage';
import { ALICE, assertNoSecrets, Gate, Observed, RecordingTransport, useRigs, useSimulators, WatcherRig } from '../support/ucwa-harness';

const REPRESENTATIONS: Representation[] = ['json', 'xml'];
const isState = (state: InvitationState) => (r: InvitationRecord) => r.state === state;
const isActionPost = (r: HttpRequest) => r.method === 'POST' && /\/(accept|decline|acceptWithPhoneAudio)$/.test(r.url.pathname);
const isEvents = (r: HttpRequest) => r.url.pathname.endsWith('/events');
const CRASH = /the process is gone/;

/** The transport of a process: `beforeSend` may hold a request or end the process before it leaves; `afterAnswer` runs once the pool answered. */
class ProcessTransport extends RecordingTransport {
  beforeSend?: (request: HttpRequest) => Promise<void> | undefined;
  afterAnswer?: (request: HttpRequest) => void;

  override async send(request: HttpRequest): Promise<HttpResponse> {
    await this.beforeSend?.(request);
    const res = await super.send(request);
    this.afterAnswer?.(request);
    return res;
  }
}

interface FirstProcess {
  rig: WatcherRig;
  watcher: AccountWatcher;
  storage: SqliteStorage;
  /** The same file as the process sees it: crash() ends every later write. */
  crashable: CrashableStorage;
  transport: ProcessTransport;
  simId: string;
  /** The pending record, its card posted (a Teams activity id, no notification pending). */
  record: InvitationRecord;
}

interface SecondProcess {
  rig: WatcherRig;
  repos: Repositories;
  log: Observed<string>;
  /** Holds the event channel's answers while closed (so a test sees the check before the events). */
  events: Gate;
}

describe('watcher: a click interrupted by a crash (SQLite)', () => {
  const rigs = useRigs();
  const sims = useSimulators();
  let dir: string;
  let clock: sinon.SinonFakeTimers;
  const opened: SqliteStorage[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watcher-click-'));
    // Only Date: the HTTP traffic and the simulator run on real timers.
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
  });
  afterEach(async () => {
    clock.restore();
    await Promise.all(opened.splice(0).map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const open = (): SqliteStorage => {
    const s = new SqliteStorage(path.join(dir, 'bot.db'));
    opened.push(s);
    return s;
  };

  /** Process 1 watches Alice over the SQLite file; one invitation arrives and its card is posted. */
  async function firstProcess(sim: UcwaSimulator, representation: Representation): Promise<FirstProcess> {
    const storage = open();
    const crashable = new CrashableStorage(storage);
    const repos = createRepositories(crashable);
    const transport = new ProcessTransport();
    const rig = rigs.make(sim, { repositories: repos, transport });
    const watcher = rig.start(ALICE, { representation });
    await rig.connected(ALICE);
    const simId = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting', subject: 'interrupted' });
    const pending = await rig.record(simId, isState('pending'), 'pending');
    // The drainer posted the card.
    await repos.invitations.setTeamsActivity(pending.id, 'activity-1', 'a:conversation-1');
    const due = await repos.notifications.get(pending.id);
    assert.ok(due && (await repos.notifications.complete(pending.id, due.createdAt)));
    const record = (await repos.invitations.get(pending.id))!;
    return { rig, watcher, storage, crashable, transport, simId, record };
  }

  /**
   * The user presses `verb` and the process dies: before the POST leaves (`beforeThePool`), or once the pool has
   * taken it (`afterThePool`; the pool's events are then held, so nothing of them is stored). Nothing more is written.
   */
  async function clickAndDie(p: FirstProcess, verb: 'accept' | 'decline', when: 'beforeThePool' | 'afterThePool'): Promise<PendingNotification | undefined> {
    let killed: Promise<void> | undefined;
    const die = (): Error => {
      p.crashable.crash();
      killed = p.watcher.kill();
      return new Error('the process is gone (injected crash)');
    };
    if (when === 'beforeThePool') {
      p.transport.beforeSend = (r) => (isActionPost(r) ? Promise.reject(die()) : undefined);
    } else {
      const held = new Gate();
      held.closed = true;
      p.transport.hold = (r) => (isEvents(r) ? held.wait() : undefined);
      p.transport.afterAnswer = (r) => {
        if (isActionPost(r)) throw die();
      };
    }
    await assert.rejects(p.rig.sup.act(p.record.id, verb), CRASH);
    assert.ok(killed, 'the process died during the click');
    await killed;
    const left = createRepositories(p.storage);
    assert.equal((await left.invitations.get(p.record.id))?.state, verb === 'accept' ? 'accepting' : 'declining', 'the crash left the click half done');
    // The click queued its "Accepting…" card with its move; whatever the next process queues comes after it.
    const queued = await left.notifications.get(p.record.id);
    await p.storage.close();
    opened.splice(opened.indexOf(p.storage), 1);
    return queued;
  }

  /** A new process on the same file, a minute later, logging at debug into `log`. */
  function secondProcess(sim: UcwaSimulator, representation: Representation, options: { holdEvents?: boolean } = {}): SecondProcess {
    clock.tick(60_000);
    const repos = createRepositories(open());
    const log = new Observed<string>();
    const events = new Gate();
    const transport = new ProcessTransport();
    if (options.holdEvents) {
      events.closed = true;
      transport.hold = (r) => (isEvents(r) ? events.wait() : undefined);
    }
    const rig = rigs.make(sim, { repositories: repos, transport, logger: new JsonLogger('debug', log.push) });
    rig.start(ALICE, { representation });
    return { rig, repos, log, events };
  }

  /** The first log line whose message contains `text`, parsed. */
  async function logged(log: Observed<string>, text: string): Promise<Record<string, unknown>> {
    const line = await log.waitFor((lines) => lines.find((l) => (JSON.parse(l) as { message: string }).message.includes(text)), `the log line "${text}"`);
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** GETs of the invitation resource itself (the check), as the pool saw them. */
  async function checksOf(rig: WatcherRig, record: InvitationRecord, since = 0): Promise<number> {
    const href = new URL(record.invitationHref).pathname;
    return (await rig.admin.requests({ method: 'GET', path: href, since })).filter((r) => r.path === href).length;
  }

  const statesSeen = (rig: WatcherRig, simId: string) => rig.changes.items.filter((c) => c.record.invitationHref.endsWith(`/${simId}`)).map((c) => c.record.state);

  for (const representation of REPRESENTATIONS) {
    describe(`(${representation})`, () => {
      it('died before the accept reached the pool: after a restart the card can be answered again, and a new accept connects', async () => {
        const sim = await sims.start();
        const first = await firstProcess(sim, representation);
        await clickAndDie(first, 'accept', 'beforeThePool');
        assert.deepEqual((await first.rig.admin.invitation(first.simId)).actions, [], 'the pool saw no accept');

        const second = secondProcess(sim, representation);
        const reopened = await second.rig.record(first.simId, isState('pending'), 'open again');
        assert.equal(reopened.id, first.record.id);
        assert.deepEqual(reopened.actions, first.record.actions, 'its actions are back');
        assert.equal(reopened.teamsActivityId, 'activity-1', 'the same card');
        const stored = (await second.repos.invitations.get(first.record.id))!;
        assert.equal(stored.state, 'pending');
        const due = await second.repos.notifications.pending();
        assert.deepEqual(due.map((n) => [n.invitationId, n.kind]), [[first.record.id, 'update']], 'the card gets its buttons back');
        assert.equal(await checksOf(second.rig, first.record), 1, 'checked with the pool once');
        assert.deepEqual(await second.rig.admin.requests({ path: '/accept' }), [], 'no accept reached the pool');
        assert.deepEqual((await second.rig.admin.invitation(first.simId)).actions, []);
        // Said once, at info, naming the opaque id only (no href, no token).
        const line = await logged(second.log, 'never reached Skype');
        assert.equal(line.level, 'info');
        assert.equal(line.invitation, first.record.id);
        const text = second.log.items.join('\n');
        assert.ok(!text.includes(first.record.invitationHref), 'no href in the log');
        assertNoSecrets(second.log.items, [...first.transport.secrets(), ...second.rig.transport.secrets()]);

        // The user presses again: accepted, connected.
        assert.equal((await second.rig.sup.act(first.record.id, 'accept')).kind, 'done');
        await second.rig.record(first.simId, isState('connected'), 'connected');
        const pool = await second.rig.admin.invitation(first.simId);
        assert.deepEqual(pool.actions.map((a) => [a.action, a.status]), [['accept', 204]], 'exactly one accept, the new one');
        assert.equal(pool.state, 'connected');
        assert.equal(second.rig.sup.status(ALICE)?.state, 'connected');
      });

      it('the accept reached the pool before the crash: not reopened, ends connected', async () => {
        const sim = await sims.start();
        const first = await firstProcess(sim, representation);
        const clickCard = await clickAndDie(first, 'accept', 'afterThePool');
        assert.equal((await first.rig.admin.invitation(first.simId)).clientAction, 'accept', 'the pool took the accept');

        // The events are held until the check has spoken, so the record is still accepting when it is checked.
        const second = secondProcess(sim, representation, { holdEvents: true });
        await logged(second.log, 'reached Skype');
        assert.equal(await checksOf(second.rig, first.record), 1, 'checked with the pool');
        assert.equal((await second.repos.invitations.get(first.record.id))?.state, 'accepting', 'not reopened');
        assert.deepEqual(await second.repos.notifications.get(first.record.id), clickCard, 'no card update from the check');
        second.events.open();
        await second.rig.record(first.simId, isState('connected'), 'the pool\'s outcome');
        assert.ok(!statesSeen(second.rig, first.simId).includes('pending'), `never pending again: ${statesSeen(second.rig, first.simId).join(' -> ')}`);
        const pool = await second.rig.admin.invitation(first.simId);
        assert.deepEqual(pool.actions.map((a) => [a.action, a.status]), [['accept', 204]], 'one accept');
      });

      it('the invitation was cancelled while the bot was down: not reopened, ends cancelled by the sender', async () => {
        const sim = await sims.start();
        const first = await firstProcess(sim, representation);
        await clickAndDie(first, 'accept', 'beforeThePool');
        await first.rig.admin.move(first.simId, 'cancel');

        const second = secondProcess(sim, representation, { holdEvents: true });
        await logged(second.log, 'moved on');
        assert.equal(await checksOf(second.rig, first.record), 1, 'checked with the pool');
        assert.equal((await second.repos.invitations.get(first.record.id))?.state, 'accepting', 'not reopened');
        second.events.open();
        const ended = await second.rig.record(first.simId, isState('cancelledBySender'), 'cancelled');
        assert.equal(ended.outcomeReason?.subcode, 'Canceled');
        assert.ok(!statesSeen(second.rig, first.simId).includes('pending'));
        assert.deepEqual((await second.rig.admin.invitation(first.simId)).actions, [], 'no accept ever reached the pool');
      });
    });
  }

  it('a decline interrupted the same way is opened again, and the new decline ends declined', async () => {
    const sim = await sims.start();
    const first = await firstProcess(sim, 'json');
    await clickAndDie(first, 'decline', 'beforeThePool');
    const second = secondProcess(sim, 'json');
    await second.rig.record(first.simId, isState('pending'), 'open again');
    assert.equal((await logged(second.log, 'never reached Skype')).state, 'declining');
    assert.equal((await second.rig.sup.act(first.record.id, 'decline')).kind, 'done');
    await second.rig.record(first.simId, isState('declined'), 'declined');
    assert.deepEqual((await second.rig.admin.invitation(first.simId)).actions.map((a) => [a.action, a.status]), [['decline', 204]]);
  });

  it('no answer to the check at first (503, then a cut connection): asked again with backoff, then opened again; the watcher stays connected', async () => {
    const sim = await sims.start();
    const first = await firstProcess(sim, 'xml');
    await clickAndDie(first, 'accept', 'beforeThePool');
    const href = new URL(first.record.invitationHref).pathname;
    await first.rig.admin.fault({ kind: 'status', path: href, method: 'GET', status: 503 });
    await first.rig.admin.fault({ kind: 'reset', path: href, method: 'GET' });

    const second = secondProcess(sim, 'xml');
    await second.rig.record(first.simId, isState('pending'), 'open again');
    assert.equal(await checksOf(second.rig, first.record), 3, 'two failed checks, then the one that answered');
    assert.equal(second.log.items.filter((l) => l.includes('could not check an interrupted click')).length, 2);
    await second.rig.connected(ALICE);
    assert.equal(second.rig.sup.status(ALICE)?.state, 'connected');
    assert.equal((await second.rig.sup.act(first.record.id, 'accept')).kind, 'done');
    await second.rig.record(first.simId, isState('connected'), 'connected');
  });

  it('the check answers 404 (the invitation is gone): left to the end handling, and the watcher keeps watching', async () => {
    const sim = await sims.start();
    const first = await firstProcess(sim, 'json');
    await clickAndDie(first, 'accept', 'beforeThePool');
    await first.rig.admin.fault({ kind: 'status', path: new URL(first.record.invitationHref).pathname, method: 'GET', status: 404 });

    const second = secondProcess(sim, 'json');
    await logged(second.log, 'is gone');
    assert.equal((await second.repos.invitations.get(first.record.id))?.state, 'accepting', 'not reopened');
    await second.rig.connected(ALICE);
    const next = await second.rig.admin.invite({ to: ALICE, kind: 'messaging' });
    await second.rig.record(next, isState('pending'), 'the next invitation');
    assert.ok(!statesSeen(second.rig, first.simId).includes('pending'));
  });

  it('a click of this process still on its way is not taken for a lost one when its watcher restarts', async () => {
    const sim = await sims.start();
    const transport = new ProcessTransport();
    const rig = rigs.make(sim, { repositories: createRepositories(open()), transport });
    clock.tick(1_000);
    const watcher = rig.start(ALICE);
    await rig.connected(ALICE);
    const simId = await rig.admin.invite({ to: ALICE, kind: 'onlineMeeting' });
    const record = await rig.record(simId, isState('pending'), 'pending');
    // The accept is on its way (held before it leaves) while the watcher restarts.
    const onItsWay = new Gate();
    onItsWay.closed = true;
    transport.beforeSend = (r) => (isActionPost(r) ? onItsWay.wait() : undefined);
    const click = rig.sup.act(record.id, 'accept');
    await rig.admin.until(() => rig.repositories.invitations.get(record.id), (r) => r?.state === 'accepting', 'the click moved the record');
    const since = await rig.admin.lastSeq();
    await watcher.kill();
    watcher.start();
    // A batch after the restart: the watcher is past the point where it checks lost clicks.
    const next = await rig.admin.invite({ to: ALICE, kind: 'messaging' });
    await rig.record(next, isState('pending'), 'the next invitation');
    assert.equal(await checksOf(rig, record, since), 0, 'not checked with the pool');
    assert.equal((await rig.repositories.invitations.get(record.id))?.state, 'accepting', 'not reopened');
    onItsWay.open();
    assert.equal((await click).kind, 'done');
    await rig.record(simId, isState('connected'), 'connected');
  });
});
