// Where the watcher keeps each linked account's UCWA session (application, next events URL, health), so a
// restart can resume and an operator can see why an account is not being watched.
import { compareKeys, type ScanStorage } from './storage';
import { type Clock, type RepositoryOptions, systemClock } from './clock';
import { decodeSession } from './codec';
import { KEY_PREFIXES, storageKeys } from './keys';
import type { AccountSession, AccountSessionInput } from './records';

/** lastError is already redacted by the caller; the cap only keeps a runaway message out of storage. */
export const MAX_LAST_ERROR_LENGTH = 2000;

/** Stamps updatedAt and caps lastError: the one place a session's stored form is decided. */
export function toStoredSession(input: AccountSessionInput, now: Date): AccountSession {
  const session: AccountSession = { ...input, updatedAt: now.toISOString() };
  if (session.lastError !== undefined && session.lastError.length > MAX_LAST_ERROR_LENGTH) {
    session.lastError = `${session.lastError.slice(0, MAX_LAST_ERROR_LENGTH - 1)}…`;
  }
  return session;
}

/**
 * Sessions have a single writer (the watcher of that account), so saves are unconditional (eTag '*'):
 * last write wins, which is what a status report wants.
 */
export class AccountSessionRepository {
  private readonly clock: Clock;

  constructor(
    private readonly storage: ScanStorage,
    options: Pick<RepositoryOptions, 'clock'> = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async get(accountId: string): Promise<AccountSession | undefined> {
    const key = storageKeys.account(accountId);
    return decodeSession(await this.storage.read([key]), key)?.value;
  }

  async save(input: AccountSessionInput): Promise<AccountSession> {
    const session = toStoredSession(input, this.clock());
    await this.storage.write({ [storageKeys.account(session.accountId)]: { ...session, eTag: '*' } });
    return session;
  }

  async delete(accountId: string): Promise<void> {
    await this.storage.delete([storageKeys.account(accountId)]);
  }

  /** Every stored session, ordered by accountId. */
  async list(): Promise<AccountSession[]> {
    const keys = await this.storage.keysWithPrefix(KEY_PREFIXES.account);
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    return keys
      .map((key) => decodeSession(items, key)?.value)
      .filter((s): s is AccountSession => s !== undefined)
      .sort((a, b) => compareKeys(a.accountId, b.accountId));
  }
}
