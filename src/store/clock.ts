// Time and retry settings injected into the repositories, so tests control both without sleeping.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export interface RepositoryOptions {
  /** Source of "now" for updatedAt/createdAt stamps. Default: the system clock. */
  clock?: Clock;
  /**
   * How many read-modify-write rounds to try when another writer changed the item in between. Default 8.
   * Conflicts are rare (one watcher per account, clicks are human-paced), so this only bounds a pathological loop.
   */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;
