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

export class SqliteOwnershipStore implements OwnershipStore {
  private readonly db: Database.Database;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly selectAll: Database.Statement<[], Row>;
  private readonly insert: Database.Statement<[number, string, string, number], Row>;
  private readonly takeOver: Database.Statement<[string, string, number, number, number], Row>;
  private readonly extend: Database.Statement<[number, number, number, string], Row>;
  private readonly giveUp: Database.Statement<[number, number, string]>;

  /** Opens its own connection to `filename` (the same file as the bot's SqliteStorage). */
  constructor(filename: string, options: OwnershipStoreOptions & { busyTimeoutMs?: number }) {
    this.leaseMs = checkLeaseMs(options.leaseMs);
    this.now = options.now ?? Date.now;
    if (filename !== ':memory:' && filename !== '') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    this.db = new Database(filename, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.selectAll = this.db.prepare('SELECT partition, owner, lease_id, expires_at, version FROM ownership ORDER BY partition');
    this.insert = this.db.prepare(
      'INSERT INTO ownership (partition, owner, lease_id, expires_at, version) VALUES (?, ?, ?, ?, 1) ON CONFLICT DO NOTHING RETURNING partition, owner, lease_id, expires_at, version',
    );
    this.takeOver = this.db.prepare(
      'UPDATE ownership SET owner = ?, lease_id = ?, expires_at = ?, version = version + 1 WHERE partition = ? AND version = ? RETURNING partition, owner, lease_id, expires_at, version',
    );
    this.extend = this.db.prepare(
      'UPDATE ownership SET expires_at = ?, version = version + 1 WHERE partition = ? AND version = ? AND lease_id = ? RETURNING partition, owner, lease_id, expires_at, version',
    );
    this.giveUp = this.db.prepare(
      "UPDATE ownership SET owner = '', lease_id = '', expires_at = 0, version = version + 1 WHERE partition = ? AND version = ? AND lease_id = ?",
    );
  }

  async list(): Promise<Ownership[]> {
    return this.selectAll.all().map(toOwnership);
  }

  async claim(partition: number, ownerId: string, seen: Ownership | undefined): Promise<Ownership | undefined> {
    const leaseId = randomUUID();
    const expiresAt = this.now() + this.leaseMs;
    // Each statement compares and sets in one step, returning the row only when it changed it.
    const row = seen
      ? this.takeOver.get(ownerId, leaseId, expiresAt, partition, Number(seen.eTag))
      : this.insert.get(partition, ownerId, leaseId, expiresAt);
    return row && toOwnership(row);
  }

  async renew(held: Ownership): Promise<Ownership | undefined> {
    const row = this.extend.get(this.now() + this.leaseMs, held.partition, Number(held.eTag), held.leaseId);
    return row && toOwnership(row);
  }

  async release(held: Ownership): Promise<void> {
    this.giveUp.run(held.partition, Number(held.eTag), held.leaseId);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function toOwnership(row: Row): Ownership {
  return { partition: row.partition, ownerId: row.owner, leaseId: row.lease_id, expiresAt: row.expires_at, eTag: String(row.version) };
}
