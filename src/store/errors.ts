// Typed errors of the storage layer. Messages carry the storage key or variable at fault, never values or secrets.

/** Code shared by every eTag conflict, so callers can recognise one across module copies (instanceof can fail). */
export const ETAG_CONFLICT = 'ETAG_CONFLICT';

/**
 * A write was refused because the item's eTag no longer matches the stored one (someone else wrote first), or
 * because a specific eTag was given for a key that does not exist. Nothing of that write was stored.
 */
export class ETagConflictError extends Error {
  readonly code = ETAG_CONFLICT;

  constructor(
    readonly key: string,
    detail = 'the stored item changed since it was read',
  ) {
    super(`Storage: eTag conflict writing "${key}": ${detail}`);
    this.name = 'ETagConflictError';
  }
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
