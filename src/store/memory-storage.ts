// In-memory ScanStorage with the same eTag and atomicity semantics as SqliteStorage. For tests and `memory:`.
// Values are kept as JSON text, so nothing a caller holds can alias stored state (deep copies in and out).
import type { StoreItems } from 'botbuilder';
import { ETagConflictError } from './errors';
import { type ClosableStorage, compareKeys } from './storage';
import { checkKeys, materialise, planWrites } from './write-plan';

interface Entry {
  readonly json: string;
  readonly eTag: string;
}

export class MemoryStorage implements ClosableStorage {
  private readonly entries = new Map<string, Entry>();
  /** Every key in compareKeys order, so a prefix listing is a binary search plus the matching run. */
  private readonly sortedKeys: string[] = [];
  private closed = false;

  async read(keys: string[]): Promise<StoreItems> {
    this.checkOpen();
    checkKeys(keys, 'read');
    const items: StoreItems = {};
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry) items[key] = materialise(entry.json, entry.eTag);
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    this.checkOpen();
    const plan = planWrites(changes);
    // Check every condition before applying anything: one conflicting item means nothing is written.
    for (const w of plan) {
      if (w.expectedETag === undefined) continue;
      const current = this.entries.get(w.key);
      if (!current) throw new ETagConflictError(w.key, 'the item does not exist (a specific eTag was given)');
      if (current.eTag !== w.expectedETag) throw new ETagConflictError(w.key);
    }
    for (const w of plan) {
      if (!this.entries.has(w.key)) this.sortedKeys.splice(this.firstIndexAtOrAfter(w.key), 0, w.key);
      this.entries.set(w.key, { json: w.json, eTag: w.newETag });
    }
  }

  async delete(keys: string[]): Promise<void> {
    this.checkOpen();
    checkKeys(keys, 'delete');
    for (const key of keys) {
      if (this.entries.delete(key)) this.sortedKeys.splice(this.firstIndexAtOrAfter(key), 1);
    }
  }

  async deleteIfETag(key: string, eTag: string): Promise<boolean> {
    this.checkOpen();
    checkKeys([key], 'delete');
    if (this.entries.get(key)?.eTag !== eTag) return false;
    await this.delete([key]);
    return true;
  }

  async keysWithPrefix(prefix: string): Promise<string[]> {
    this.checkOpen();
    // Keys sharing a prefix are contiguous in code-unit order, starting where the prefix itself would sort.
    const found: string[] = [];
    for (let i = this.firstIndexAtOrAfter(prefix); i < this.sortedKeys.length; i++) {
      if (!this.sortedKeys[i].startsWith(prefix)) break;
      found.push(this.sortedKeys[i]);
    }
    return found;
  }

  private firstIndexAtOrAfter(key: string): number {
    let low = 0;
    let high = this.sortedKeys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.sortedKeys[mid], key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  async close(): Promise<void> {
    // Nothing to release, but behave like SqliteStorage so tests catch use-after-close either way.
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('MemoryStorage: used after close()');
  }
}
