// The storage seam: botbuilder's Storage plus the one extra capability the repositories need (listing keys).
// Anything implementing these (SQLite, memory, later Azure Blob) can sit under the repositories unchanged.
import type { Storage } from 'botbuilder';

/** A botbuilder Storage that can also list its keys, which repositories use to scan pending work. */
export interface ScanStorage extends Storage {
  /** All stored keys that start with `prefix` (case-sensitive), in ascending order. */
  keysWithPrefix(prefix: string): Promise<string[]>;
  /**
   * Deletes `key` only while its eTag is still `eTag`; true when it was deleted. Optional: botbuilder's Storage has
   * no conditional delete, and a store (or wrapper) without one keeps completed items as tombstones instead.
   */
  deleteIfETag?(key: string, eTag: string): Promise<boolean>;
}

/** A ScanStorage that owns resources (a file handle, a connection) and must be closed on shutdown. */
export interface ClosableStorage extends ScanStorage {
  /** Releases the underlying resources. Idempotent. Later calls on the storage fail. */
  close(): Promise<void>;
}

/**
 * The key order keysWithPrefix returns everywhere (UTF-16 code-unit order, locale-independent), so scans behave
 * the same on every storage. Also used to order ids and ISO timestamps.
 */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
