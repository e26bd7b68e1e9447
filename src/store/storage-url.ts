// Opens the storage that STORAGE_URL names. Errors are one line naming STORAGE_URL and never echo the value,
// because a Blob connection string carries an account key.
import { StorageConfigError } from './errors';
import { MemoryStorage } from './memory-storage';
import { SqliteStorage } from './sqlite-storage';
import type { ClosableStorage } from './storage';

export const DEFAULT_STORAGE_URL = 'sqlite:./data/bot.db';

/** What a STORAGE_URL asks for, parsed but not opened. */
export type StorageTarget = { kind: 'sqlite'; path: string } | { kind: 'memory' };

const EXPECTED = 'expected sqlite:<path>, memory: or blob:<account URL or connection string>';

/**
 * Parses a STORAGE_URL value. Empty or unset means the default (`sqlite:./data/bot.db`).
 * `sqlite:<path>` (also `sqlite://<path>`, so `sqlite:///var/lib/bot.db` is absolute), `memory:`.
 */
export function parseStorageUrl(url: string | undefined): StorageTarget {
  const value = (url ?? '').trim() || DEFAULT_STORAGE_URL;
  const colon = value.indexOf(':');
  const scheme = colon > 0 ? value.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? value.slice(colon + 1) : '';

  switch (scheme) {
    case 'sqlite': {
      const file = rest.startsWith('//') ? rest.slice(2) : rest;
      if (file.trim() === '') throw new StorageConfigError(`sqlite: needs a file path, e.g. ${DEFAULT_STORAGE_URL}`);
      return { kind: 'sqlite', path: file };
    }
    case 'memory':
      if (rest !== '' && rest !== '//') throw new StorageConfigError('memory: takes nothing after the colon');
      return { kind: 'memory' };
    case 'blob':
      throw new StorageConfigError('Azure Blob storage (blob:) is not available in this build yet; use sqlite:<path>');
    case '':
      throw new StorageConfigError(`has no scheme; ${EXPECTED}`);
    default:
      // Echo the scheme only when it looks like one; anything else might be part of a secret.
      if (/^[a-z][a-z0-9+.-]{0,19}$/.test(scheme)) {
        throw new StorageConfigError(`unsupported scheme "${scheme}:"; ${EXPECTED}`);
      }
      throw new StorageConfigError(`is not a storage URL; ${EXPECTED}`);
  }
}

/** Opens the storage a STORAGE_URL names; any failure becomes one StorageConfigError line. */
export function openStorage(url: string = DEFAULT_STORAGE_URL): ClosableStorage {
  const target = parseStorageUrl(url);
  if (target.kind === 'memory') return new MemoryStorage();
  try {
    return new SqliteStorage(target.path);
  } catch (err) {
    // The path is configuration, not a secret; the cause says why (permissions, not a database file, ...).
    const reason = err instanceof Error ? err.message : String(err);
    throw new StorageConfigError(`cannot open SQLite database "${target.path}": ${reason}`, { cause: err });
  }
}
