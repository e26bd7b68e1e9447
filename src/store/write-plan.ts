// Validation and serialisation shared by every storage implementation, so the eTag rules live in one place.
import { randomUUID } from 'node:crypto';
import type { StoreItems } from 'botbuilder';

/** One item of a write, checked and serialised before any storage is touched. */
export interface PlannedWrite {
  readonly key: string;
  /** JSON of the item without its eTag. */
  readonly json: string;
  /** The eTag the stored item must currently have, or undefined for an unconditional write. */
  readonly expectedETag: string | undefined;
  /** The eTag the item gets once written. */
  readonly newETag: string;
}

/**
 * Turns botbuilder's `write(changes)` argument into planned writes, following botbuilder's documented rules:
 * an absent/empty eTag or `'*'` writes unconditionally; any other eTag must match the stored item's.
 * Throws TypeError (naming the key) for values that are not JSON objects, before anything is written.
 */
export function planWrites(changes: StoreItems): PlannedWrite[] {
  if (typeof changes !== 'object' || changes === null) {
    throw new TypeError('Storage: write(changes) needs an object of items keyed by storage key');
  }
  return Object.keys(changes).map((key) => planOne(key, changes[key]));
}

function planOne(key: string, item: unknown): PlannedWrite {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new TypeError(`Storage: item "${key}" must be a JSON object, got ${describe(item)}`);
  }
  const { eTag, ...value } = item as Record<string, unknown>;
  if (eTag !== undefined && eTag !== null && typeof eTag !== 'string') {
    throw new TypeError(`Storage: item "${key}" has an eTag of type ${typeof eTag}; eTags are strings`);
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`Storage: item "${key}" cannot be serialised to JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const conditional = typeof eTag === 'string' && eTag !== '' && eTag !== '*';
  return { key, json, expectedETag: conditional ? eTag : undefined, newETag: newETag() };
}

/** Random, so two processes sharing one file can never hand out the same eTag for different contents. */
export function newETag(): string {
  return randomUUID();
}

/** Rebuilds a read item: the stored JSON with the eTag it was stored under. */
export function materialise(json: string, eTag: string): Record<string, unknown> {
  const value = JSON.parse(json) as Record<string, unknown>;
  value.eTag = eTag;
  return value;
}

/** Validates `read`/`delete` arguments, which botbuilder also rejects when missing. */
export function checkKeys(keys: unknown, operation: 'read' | 'delete'): asserts keys is string[] {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw new TypeError(`Storage: ${operation}(keys) needs an array of string keys`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
