// Typed errors of the storage layer. Messages carry the storage key or variable at fault, never values or secrets.

/** Code shared by every eTag conflict, so callers can recognise one across module copies (instanceof can fail). */
export const ETAG_CONFLICT = 'ETAG_CONFLICT';

/**
 * A write was refused because the item's eTag no longer matches the stored one (someone else wrote first), or
 * because a specific eTag was given for a key that does not exist. The item `key` was not stored. On a storage
 * with transactions (SQLite, memory) nothing else of that write was stored either and `written` is empty; a
 * storage without them (Azure Blob) lists in `written` the items of the same write it had already stored when
 * the conflict surfaced.
 */
export class ETagConflictError extends Error {
  readonly code = ETAG_CONFLICT;

  constructor(
    readonly key: string,
    detail = 'the stored item changed since it was read',
    readonly written: readonly string[] = [],
  ) {
    super(`Storage: eTag conflict writing "${key}": ${detail}${describeWritten(written)}`);
    this.name = 'ETagConflictError';
  }
}

/**
 * A multi-item write failed part-way for a reason other than an eTag conflict (network, throttling, permissions)
 * on a storage without transactions: `written` were stored, `key` and the items after it were not. The cause is
 * kept for diagnosis; the message carries only keys and the cause's error code.
 */
export class PartialWriteError extends Error {
  constructor(
    readonly key: string,
    readonly written: readonly string[],
    cause: unknown,
  ) {
    super(`Storage: writing "${key}" failed (${errorCode(cause)})${describeWritten(written)}`, { cause });
    this.name = 'PartialWriteError';
  }
}

/**
 * The store refused a write or a delete for a reason other than an eTag conflict (read-only file, permissions,
 * network, full disk). Nothing of that change can be assumed stored. The message carries only the cause's code
 * (the cause's own text can name a path or an account); the cause is kept for the log.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Storage: the store refused a write (${errorCode(cause)})`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

function describeWritten(written: readonly string[]): string {
  if (written.length === 0) return '';
  return `; not atomic: ${written.length} earlier item(s) of this write were stored: ${written.map((k) => `"${k}"`).join(', ')}`;
}

/** A short, secret-free name for an error: its code or status, else its class name. */
function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return typeof err;
  const e = err as { code?: unknown; statusCode?: unknown; name?: unknown };
  const parts = [e.statusCode, e.code].filter((p) => typeof p === 'string' || typeof p === 'number');
  if (parts.length > 0) return parts.join(' ');
  return typeof e.name === 'string' ? e.name : 'error';
}

/**
 * True for an eTag conflict from any storage this code may sit on: our own ETagConflictError, and an HTTP 412
 * (Precondition Failed, e.g. an Azure Blob `If-Match` miss) so that a Blob-backed store slots in unchanged.
 */
export function isETagConflict(err: unknown): boolean {
  if (err instanceof ETagConflictError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; statusCode?: unknown };
  return e.code === ETAG_CONFLICT || e.statusCode === 412;
}

/** STORAGE_URL is missing something or names something this build cannot open. One line, no secrets. */
export class StorageConfigError extends Error {
  readonly variable = 'STORAGE_URL';

  constructor(problem: string, options?: { cause?: unknown }) {
    super(`STORAGE_URL: ${problem}`, options);
    // Named like the other configuration errors so the composition root can treat them alike.
    this.name = 'ConfigError';
  }
}

/** A stored value could not be understood (corrupt file, foreign writer, or a record from an incompatible build). */
export class StoreDataError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`Storage: item "${key}" is unreadable: ${problem}`);
    this.name = 'StoreDataError';
  }
}
