// Persist-before-ack and restart, with the SQLite file store: a watcher that dies after the pool delivered a batch
// (before or after storing it) loses nothing and duplicates nothing when a new supervisor starts on the same file;
// the stored application is continued while it lives, and replaced (open invitations ended) when it died meanwhile.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRepositories, KEY_PREFIXES, SqliteStorage } from '../../src/store';
import type { InvitationRecord } from '../../src/store';
import { CrashableStorage } from '../support/crashable-storage';
import { ALICE, useRigs, useSimulators } from '../support/ucwa-harness';

const isState = (state: InvitationRecord['state']) => (r: InvitationRecord) => r.state === state;

describe('watcher: persist-before-ack and restart (SQLite)', () => {
  const rigs = useRigs();
  const sims = useSimulators();
  let dir: string;
  const opened: SqliteStorage[] = [];
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watcher-restart-'))));
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const open = (): SqliteStorage => {
    const s = new SqliteStorage(path.join(dir, 'bot.db'));
    opened.push(s);
    return s;
  };

  it('dies after the batch arrived but before it was stored: the restart gets it again, one record, same application', async () => {
    const sim = await sims.start();
    const first = open();
    const crashable = new CrashableStorage(first);
    const rig1 = rigs.make(sim, { repositories: createRepositories(crashable) });
    const watcher = rig1.start(ALICE);
    await rig1.connected(ALICE);
    const [app] = await rig1.admin.applications(ALICE);
    let killed: Promise<void> | undefined;
    // The crash: the moment the batch is about to be stored, the process stops (no retry, no DELETE).
    crashable.crashOnInvitationWrite(() => (killed = watcher.kill()));
    const id = await rig1.admin.invite({ to: ALICE, kind: 'onlineMeeting', subject: 'survives a crash', importance: 'Urgent' });
    await rig1.admin.until(async () => killed !== undefined, (k) => k, 'the crash');
    await killed;
    assert.deepEqual(await first.keysWithPrefix(KEY_PREFIXES.invitation), [], 'nothing of the batch was stored');
    const session = (await createRepositories(first).accounts.get(ALICE))!;
    assert.ok(session.applicationHref?.endsWith(app.href) && session.eventsHref);
    const deliveredBy = new URL(session.eventsHref);
    await first.close();

    // A new process on the same file.
    const second = open();
    const repos = createRepositories(second);
    const rig2 = rigs.make(sim, { repositories: repos });
    rig2.start(ALICE);
    const record = await rig2.record(id, isState('pending'), 'the re-delivered invitation');
    assert.equal(record.subject, 'survives a crash');
    assert.equal(record.importance, 'Urgent');
    const keys = await second.keysWithPrefix(KEY_PREFIXES.invitation);
    assert.deepEqual(keys, [`${KEY_PREFIXES.invitation}${record.id}`], 'exactly one record');
    const pending = await repos.notifications.pending();
    assert.deepEqual(pending.map((n) => [n.invitationId, n.kind]), [[record.id, 'post']], 'one card to post');
    // The stored application was continued: no second application, and the unacknowledged URL was asked again.
    const apps = await rig2.admin.applications(ALICE);
    assert.deepEqual(apps.map((a) => a.id), [app.id]);
    assert.deepEqual(rig2.sup.status(ALICE)?.modalities, ['Messaging', 'Audio'], 'the continued application reports its modalities');
    const log = await rig2.admin.requests();
    assert.equal(log.filter((r) => r.method === 'POST' && r.path === '/ucwa/oauth/v1/applications').length, 1);
    assert.equal(log.filter((r) => r.path.endsWith('/makeMeAvailable')).length, 1, 'still available: not made available again');
    const again = log.filter((r) => r.path.startsWith(`${deliveredBy.pathname}${deliveredBy.search}&`));
    assert.equal(again.length, 2, 'the batch URL was requested by both processes');
    // Its cached actions came through the restart: accepting works.
    assert.equal((await rig2.sup.act(record.id, 'accept')).kind, 'done');
    await rig2.record(id, isState('connected'), 'connected');
  });

  it('dies after storing the batch but before acknowledging it: the re-delivery changes nothing', async () => {
    const sim = await sims.start();
    const first = open();
    const crashable = new CrashableStorage(first);
    const rig1 = rigs.make(sim, { repositories: createRepositories(crashable) });
    const watcher = rig1.start(ALICE);
    await rig1.connected(ALICE);
    let killed: Promise<void> | undefined;
    // onChange runs after the batch is stored and before the next P-GET acknowledges it: crash right there.
    rig1.sup.onChange(() => {
      crashable.crash();
      killed ??= watcher.kill();
    });
    const id = await rig1.admin.invite({ to: ALICE, kind: 'messaging', subject: 'stored, not acknowledged' });
    const stored = await rig1.record(id, isState('pending'), 'stored');
    await killed;
    const unacked = (await createRepositories(first).accounts.get(ALICE))!.eventsHref!;

    const repos = createRepositories(first);
    const rig2 = rigs.make(sim, { repositories: repos });
    rig2.start(ALICE);
    await rig2.admin.until(() => repos.accounts.get(ALICE), (s) => s?.eventsHref !== unacked, 'past the re-delivered batch');
    assert.deepEqual(rig2.changes.items, [], 'the re-delivered batch changed nothing, so no card update');
    const now = await repos.invitations.get(stored.id);
    assert.equal(now?.version, stored.version);
    assert.equal((await first.keysWithPrefix(KEY_PREFIXES.invitation)).length, 1);
    const log = await rig2.admin.requests();
    const u = new URL(unacked);
    assert.equal(log.filter((r) => r.path.startsWith(`${u.pathname}${u.search}&`)).length, 2);
  });

  for (const representation of ['json', 'xml'] as const) {
    it(`a meeting accepted after a restart goes through its lobby; the record keeps its UCWA conversation for that (${representation})`, async () => {
      const sim = await sims.start();
      const first = open();
      const rig1 = rigs.make(sim, { repositories: createRepositories(first) });
      const watcher = rig1.start(ALICE, { representation });
      await rig1.connected(ALICE);
      const id = await rig1.admin.invite({ to: ALICE, kind: 'onlineMeeting', lobby: true, subject: 'Lobby across a restart' });
      const stored = await rig1.record(id, isState('pending'), 'pending');
      assert.ok(stored.ucwaConversationHref, 'the record keeps the UCWA conversation');
      await watcher.kill();

      // A new process on the same file and the same application: its event reader starts empty.
      const rig2 = rigs.make(sim, { repositories: createRepositories(first) });
      rig2.start(ALICE, { representation });
      await rig2.connected(ALICE);
      assert.equal((await rig2.sup.act(stored.id, 'accept')).kind, 'done');
      const waiting = await rig2.record(id, isState('inLobby'), 'waiting in the lobby');
      assert.equal(waiting.subject, 'Lobby across a restart', 'the lobby update kept the stored facts');
      assert.equal(waiting.from.name, stored.from.name);
      assert.deepEqual(waiting.availableModalities, stored.availableModalities);
      await rig2.admin.move(id, 'admit');
      await rig2.record(id, isState('connected'), 'admitted');
    });
  }

  it('the stored application died while the bot was down: a new one is created and its open invitations end', async () => {
    const sim = await sims.start();
    const first = open();
    const rig1 = rigs.make(sim, { repositories: createRepositories(first) });
    const watcher = rig1.start(ALICE);
    await rig1.connected(ALICE);
    const id = await rig1.admin.invite({ to: ALICE, kind: 'onlineMeeting' });
    await rig1.record(id, isState('pending'), 'pending');
    const [old] = await rig1.admin.applications(ALICE);
    await watcher.kill();
    await rig1.admin.fault({ kind: 'expireApplications', user: ALICE });

    const repos = createRepositories(first);
    const rig2 = rigs.make(sim, { repositories: repos });
    rig2.start(ALICE);
    const ended = await rig2.record(id, isState('ended'), 'ended: its application is gone');
    assert.equal(ended.reason, 'applicationReplaced');
    const apps = await rig2.admin.until(() => rig2.admin.applications(ALICE), (a) => a.length === 1 && a[0].parked, 'a new application');
    assert.notEqual(apps[0].id, old.id);
    assert.ok(apps[0].madeAvailable);
    const next = await rig2.admin.invite({ to: ALICE, kind: 'messaging' });
    await rig2.record(next, isState('pending'), 'the next invitation');
  });
});
