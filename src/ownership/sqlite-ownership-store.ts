// Ownership rows in the bot's SQLite file, for several processes on one host: one row per partition with its owner,
// lease id, expiry and a version that every change bumps (the eTag). Each statement is one atomic compare-and-set, so
// two processes racing for a partition cannot both win.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { checkLeaseMs, type Ownership, type OwnershipStore, type OwnershipStoreOptions } from './ownership-store';

interface Row {
  partition: number;
  owner: string;
  lease_id: string;
  expires_at: number;
  version: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS ownership (
    partition  INTEGER PRIMARY KEY NOT NULL,
    owner      TEXT NOT NULL,
    lease_id   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    version    INTEGER NOT NULL
  ) STRICT`;

interface Statements {
  selectAll: Database.Statement<[], Row>;
  insert: Database.Statement<[number, string, string, number], Row>;
  takeOver: Database.Statement<[string, string, number, number, number], Row>;
  extend: Database.Statement<[number, number, number, string], Row>;
  giveUp: Database.Statement<[number, number, string]>;
}

export class SqliteOwnershipStore implements OwnershipStore {
  private readonly db: Database.Database;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private prepared?: Statements;

  /** Opens its own connection to `filename` (the same file as the bot's SqliteStorage). */
  constructor(filename: string, options: OwnershipStoreOptions & { busyTimeoutMs?: number }) {
    this.leaseMs = checkLeaseMs(options.leaseMs);
    this.now = options.now ?? Date.now;
    if (filename !== ':memory:' && filename !== '') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    this.db = new Database(filename, { timeout: options.busyTimeoutMs ?? 5000 });
  }

  /**
   * The table is made on first use, not when the store opens: a database that refuses writes then fails each lease
   * round (logged, and the bot reports itself not ready) instead of stopping start-up.
   */
  private statements(): Statements {
    if (this.prepared) return this.prepared;
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    const s = {} as Statements;
    s.selectAll = this.db.prepare('SELECT partition, owner, lease_id, expires_at, version FROM ownership ORDER BY partition');
    s.insert = this.db.prepare(
      'INSERT INTO ownership (partition, owner, lease_id, expires_at, version) VALUES (?, ?, ?, ?, 1) ON CONFLICT DO NOTHING RETURNING partition, owner, lease_id, expires_at, version',
    );
    s.takeOver = this.db.prepare(
      'UPDATE ownership SET owner = ?, lease_id = ?, expires_at = ?, version = version + 1 WHERE partition = ? AND version = ? RETURNING partition, owner, lease_id, expires_at, version',
    );
    s.extend = this.db.prepare(
      'UPDATE ownership SET expires_at = ?, version = version + 1 WHERE partition = ? AND version = ? AND lease_id = ? RETURNING partition, owner, lease_id, expires_at, version',
    );
    s.giveUp = this.db.prepare(
      "UPDATE ownership SET owner = '', lease_id = '', expires_at = 0, version = version + 1 WHERE partition = ? AND version = ? AND lease_id = ?",
    );
    this.prepared = s;
    return s;
  }

  async list(): Promise<Ownership[]> {
    return this.statements().selectAll.all().map(toOwnership);
  }

  async claim(partition: number, ownerId: string, seen: Ownership | undefined): Promise<Ownership | undefined> {
    const leaseId = randomUUID();
    const expiresAt = this.now() + this.leaseMs;
    // Each statement compares and sets in one step, returning the row only when it changed it.
    const row = seen
      ? this.statements().takeOver.get(ownerId, leaseId, expiresAt, partition, Number(seen.eTag))
      : this.statements().insert.get(partition, ownerId, leaseId, expiresAt);
    return row && toOwnership(row);
  }

  async renew(held: Ownership): Promise<Ownership | undefined> {
    const row = this.statements().extend.get(this.now() + this.leaseMs, held.partition, Number(held.eTag), held.leaseId);
    return row && toOwnership(row);
  }

  async release(held: Ownership): Promise<void> {
    this.statements().giveUp.run(held.partition, Number(held.eTag), held.leaseId);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function toOwnership(row: Row): Ownership {
  return { partition: row.partition, ownerId: row.owner, leaseId: row.lease_id, expiresAt: row.expires_at, eTag: String(row.version) };
}
