// ScanStorage on one SQLite file (better-sqlite3): the default store of a single bot instance, and safe for
// several processes sharing the file (WAL, busy timeout, eTag checks inside IMMEDIATE transactions).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { StoreItems } from 'botbuilder';
import { ETagConflictError } from './errors';
import { prefixRange } from './key-range';
import { type ClosableStorage, compareKeys } from './storage';
import { checkKeys, materialise, type PlannedWrite, planWrites } from './write-plan';

export interface SqliteStorageOptions {
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
}

interface Row {
  key: string;
  value: string;
  etag: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS items (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL CHECK (json_valid(value)),
    etag  TEXT NOT NULL
  ) STRICT, WITHOUT ROWID`;

/**
 * How keys are listed by prefix: a range on the primary key (BINARY collation, UTF-8 byte order), which seeks the
 * index instead of scanning the table; LIKE/GLOB would need escaping, and substr() cannot use the index at all.
 */
export const KEY_LISTING_SQL = {
  from: 'SELECT key FROM items WHERE key >= ?',
  between: 'SELECT key FROM items WHERE key >= ? AND key < ?',
} as const;

export class SqliteStorage implements ClosableStorage {
  readonly filename: string;
  private readonly db: Database.Database;
  private readonly readMany: (keys: string[]) => Row[];
  private readonly writeMany: Database.Transaction<(plan: PlannedWrite[]) => void>;
  private readonly deleteMany: Database.Transaction<(keys: string[]) => void>;
  private readonly deleteUnchanged: Database.Statement<[string, string]>;
  private readonly selectKeysFrom: Database.Statement<[string], string>;
  private readonly selectKeysBetween: Database.Statement<[string, string], string>;

  constructor(filename: string, options: SqliteStorageOptions = {}) {
    this.filename = filename;
    if (filename !== ':memory:' && filename !== '') {
      fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    }
    this.db = new Database(filename, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      // WAL lets readers run beside one writer; synchronous stays FULL (the default) because an acknowledged
      // UCWA event batch must survive a power cut, not only a process crash.
      this.db.pragma('journal_mode = WAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      this.db.close();
      throw err;
    }

    const selectOne = this.db.prepare<[string], Row>('SELECT key, value, etag FROM items WHERE key = ?');
    const selectETag = this.db.prepare<[string], string>('SELECT etag FROM items WHERE key = ?').pluck();
    const upsert = this.db.prepare<[string, string, string]>(
      `INSERT INTO items (key, value, etag) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag`,
    );
    const deleteOne = this.db.prepare<[string]>('DELETE FROM items WHERE key = ?');
    this.deleteUnchanged = this.db.prepare<[string, string]>('DELETE FROM items WHERE key = ? AND etag = ?');
    this.selectKeysFrom = this.db.prepare<[string], string>(KEY_LISTING_SQL.from).pluck();
    this.selectKeysBetween = this.db.prepare<[string, string], string>(KEY_LISTING_SQL.between).pluck();

    // One deferred transaction for a multi-key read gives a consistent snapshot across the keys.
    this.readMany = this.db.transaction((keys: string[]) =>
      keys.map((k) => selectOne.get(k)).filter((r): r is Row => r !== undefined),
    );
    // Throwing inside rolls the whole transaction back: one conflicting item means nothing is written.
    this.writeMany = this.db.transaction((plan: PlannedWrite[]) => {
      for (const w of plan) {
        if (w.expectedETag !== undefined) {
          const current = selectETag.get(w.key);
          if (current === undefined) {
            throw new ETagConflictError(w.key, 'the item does not exist (a specific eTag was given)');
          }
          if (current !== w.expectedETag) throw new ETagConflictError(w.key);
        }
        upsert.run(w.key, w.json, w.newETag);
      }
    });
    this.deleteMany = this.db.transaction((keys: string[]) => {
      for (const k of keys) deleteOne.run(k);
    });
  }

  async read(keys: string[]): Promise<StoreItems> {
    this.checkOpen();
    checkKeys(keys, 'read');
    const items: StoreItems = {};
    for (const row of this.readMany(keys)) items[row.key] = materialise(row.value, row.etag);
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    this.checkOpen();
    const plan = planWrites(changes);
    if (plan.length === 0) return;
    // IMMEDIATE takes the write lock before the eTag checks, so another process cannot slip in between.
    this.writeMany.immediate(plan);
  }

  async delete(keys: string[]): Promise<void> {
    this.checkOpen();
    checkKeys(keys, 'delete');
    if (keys.length > 0) this.deleteMany.immediate(keys);
  }

  async deleteIfETag(key: string, eTag: string): Promise<boolean> {
    this.checkOpen();
    checkKeys([key], 'delete');
    return this.deleteUnchanged.run(key, eTag).changes === 1;
  }

  async keysWithPrefix(prefix: string): Promise<string[]> {
    this.checkOpen();
    const range = prefixRange(prefix);
    const inRange =
      range.before === undefined
        ? this.selectKeysFrom.all(range.from)
        : this.selectKeysBetween.all(range.from, range.before);
    // The range is exact for whole code points; the filter covers a prefix that ends half-way through a pair.
    return inRange.filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private checkOpen(): void {
    if (!this.db.open) throw new Error(`SqliteStorage(${this.filename}): used after close()`);
  }
}
