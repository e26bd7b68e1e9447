// Which partition an account belongs to. Accounts are grouped into a fixed number of partitions so that lease traffic
// depends on the partition count, not on the number of users. The partition is derived from the account key (the
// digest that starts every storage key of the account), so a storage key alone tells which partition it belongs to.
import { createHash } from 'node:crypto';
import { accountKeyFor, KEY_PREFIXES } from '../store';

export const DEFAULT_PARTITION_COUNT = 64;
export const MAX_PARTITION_COUNT = 1024;

export class PartitionMap {
  constructor(readonly count: number = DEFAULT_PARTITION_COUNT) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITION_COUNT) {
      throw new RangeError(`PartitionMap: the partition count must be a whole number from 1 to ${MAX_PARTITION_COUNT}`);
    }
  }

  /** The partition of an account, by its account id (stable across processes, versions and restarts). */
  ofAccount(accountId: string): number {
    return this.ofAccountKey(accountKeyFor(accountId));
  }

  /** The partition of an account, by its account key (see accountKeyFor). */
  ofAccountKey(accountKey: string): number {
    // A fresh hash rather than the key's own characters: the partition must not depend on how the key is encoded.
    return createHash('sha256').update(`partition\0${accountKey}`, 'utf8').digest().readUInt32BE(0) % this.count;
  }

  /**
   * The partition a storage key belongs to: an invitation, its notification or an account session. Undefined for
   * keys that belong to no account (installations, the readiness probe, botbuilder's own state).
   */
  ofStorageKey(key: string): number | undefined {
    const accountKey = accountKeyOfStorageKey(key);
    return accountKey === undefined ? undefined : this.ofAccountKey(accountKey);
  }
}

const ACCOUNT_KEY = /^[A-Za-z0-9_-]{16}/;

/** The account key at the start of an invitation, notification or account-session storage key. */
export function accountKeyOfStorageKey(key: string): string | undefined {
  for (const prefix of [KEY_PREFIXES.invitation, KEY_PREFIXES.notification, KEY_PREFIXES.account]) {
    if (key.startsWith(prefix)) return ACCOUNT_KEY.exec(key.slice(prefix.length))?.[0];
  }
  return undefined;
}
