// What only the SQLite file storage can show: durability across reopen, WAL, directory creation, and several
// connections (bot instances) sharing one file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isETagConflict } from '../../src/store/errors';
import { InvitationRepository } from '../../src/store/invitation-repository';
import { KEY_LISTING_SQL, SqliteStorage } from '../../src/store/sqlite-storage';
import { TempDirs, upsertInput } from './helpers';

describe('SqliteStorage', () => {
  const temp = new TempDirs();
  const opened: SqliteStorage[] = [];
  const open = (file: string) => {
    const s = new SqliteStorage(file);
    opened.push(s);
    return s;
  };

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  after(() => temp.cleanup());

  it('creates the directory of the file when it is missing', () => {
    const file = path.join(temp.make(), 'nested', 'deeper', 'bot.db');
    open(file);
    assert.ok(fs.existsSync(file));
  });

  it('keeps items and their eTags across close and reopen', async () => {
    const file = temp.dbPath();
    const first = open(file);
    await first.write({ a: { v: 1 }, b: { v: 2 } });
    const before = await first.read(['a', 'b']);
    await first.write({ b: { v: 3 } });
    await first.close();

    const second = open(file);
    const after = await second.read(['a', 'b']);
    assert.deepEqual(after.a, before.a);
    assert.equal(after.b.v, 3);
    // The eTag read before the reopen still guards: stale for b, current for a.
    await assert.rejects(second.write({ b: { v: 4, eTag: before.b.eTag } }), isETagConflict);
    await second.write({ a: { v: 5, eTag: before.a.eTag } });
    assert.deepEqual(await second.keysWithPrefix(''), ['a', 'b']);
  });

  it('lists keys by prefix through the primary-key index, not a scan of the table', async () => {
    const file = temp.dbPath();
    const storage = open(file);
    await storage.write({ 'sfb/a.1': { v: 1 }, 'sfb/b.1': { v: 1 } });
    const probe = new Database(file);
    const plans: string[] = [];
    // Every statement the storage prepares for listing, as the query planner sees it.
    for (const sql of Object.values(KEY_LISTING_SQL)) {
      const bounds = ['sfb/a.', 'sfb/a/'].slice(0, sql.split('?').length - 1);
      const rows = probe.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...bounds) as { detail: string }[];
      plans.push(...rows.map((r) => r.detail));
    }
    probe.close();
    for (const plan of plans) assert.match(plan, /SEARCH items USING PRIMARY KEY/, plan);
    assert.deepEqual(await storage.keysWithPrefix('sfb/a.'), ['sfb/a.1']);
  });

  it('uses WAL journaling and one items table with key, value and etag', () => {
    const file = temp.dbPath();
    open(file);
    const probe = new Database(file, { readonly: true });
    try {
      assert.equal(probe.pragma('journal_mode', { simple: true }), 'wal');
      const columns = probe.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('items');
      assert.deepEqual(columns, ['key', 'value', 'etag']);
    } finally {
      probe.close();
    }
  });

  it('lets two connections on one file see each other and refuses the second of two writes from one eTag', async () => {
    const file = temp.dbPath();
    const a = open(file);
    const b = open(file);
    await a.write({ k: { v: 0 } });
    const [fromA, fromB] = [(await a.read(['k'])).k, (await b.read(['k'])).k];
    assert.equal(fromA.eTag, fromB.eTag);

    const results = await Promise.allSettled([
      a.write({ k: { ...fromA, v: 'a' } }),
      b.write({ k: { ...fromB, v: 'b' } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(isETagConflict((lost[0] as PromiseRejectedResult).reason));
    const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
    assert.equal((await a.read(['k'])).k.v, winner);
    assert.equal((await b.read(['k'])).k.v, winner);
  });

  it('two bot instances on one file racing the same click: exactly one click wins', async () => {
    const file = temp.dbPath();
    const one = new InvitationRepository(open(file));
    const two = new InvitationRepository(open(file));
    const { record } = await one.upsertFromEvent(upsertInput());

    const results = await Promise.all([
      one.apply(record.id, { kind: 'click', verb: 'accept' }),
      two.apply(record.id, { kind: 'click', verb: 'decline' }),
    ]);
    assert.equal(results.filter((r) => r.ok).length, 1);
    const winner = results.find((r) => r.ok);
    const loser = results.find((r) => !r.ok);
    assert.ok(winner && loser && !loser.ok);
    assert.equal(loser.reason, 'refused');
    assert.equal(loser.record?.state, winner.record?.state);
    assert.equal((await two.get(record.id))?.state, winner.record?.state);
  });

  it('fails with a clear error when the file is not a database', async () => {
    const file = temp.dbPath();
    fs.writeFileSync(file, 'this is not sqlite, just some text that is long enough to look like a header'.repeat(20));
    assert.throws(() => new SqliteStorage(file), /not a database/);
  });
});
