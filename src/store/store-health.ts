// Whether the store accepts writes right now, learned from every write the bot makes. A store that refuses writes
// (a read-only file, a revoked Blob permission, a full disk) stops everything: no invitation can be recorded and
// no card posted. It is said once, loudly, when it starts, again at most once a minute while it lasts (with how
// many writes failed meanwhile), and once when it ends; the callers whose writes failed log them at debug only.
import type { StoreItems } from 'botbuilder';
import type { Logger } from '../logger';
import { isETagConflict, StoreUnavailableError } from './errors';
import type { ClosableStorage } from './storage';

export interface StoreHealthOptions {
  log: Logger;
  /** Milliseconds since the epoch (Date.now by default; sinon's fake timers replace it in tests). */
  now?: () => number;
  /** How often, at most, a lasting failure is logged again. Default one minute. */
  reportEveryMs?: number;
}

export class StoreHealth {
  private failingSince?: number;
  private lastReportAt = 0;
  private failuresSinceReport = 0;
  private failuresInOutage = 0;
  private readonly now: () => number;
  private readonly reportEveryMs: number;

  constructor(private readonly options: StoreHealthOptions) {
    this.now = options.now ?? (() => Date.now());
    this.reportEveryMs = options.reportEveryMs ?? 60_000;
  }

  /** False from a failed write until the next write that succeeds. */
  get writable(): boolean {
    return this.failingSince === undefined;
  }

  writeSucceeded(): void {
    if (this.failingSince === undefined) return;
    this.options.log.info('the store accepts writes again', {
      failedWrites: this.failuresInOutage,
      refusedForSeconds: Math.round((this.now() - this.failingSince) / 1000),
    });
    this.failingSince = undefined;
    this.failuresInOutage = 0;
    this.failuresSinceReport = 0;
  }

  writeFailed(error: unknown): void {
    const now = this.now();
    this.failuresInOutage++;
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.lastReportAt = now;
      this.failuresSinceReport = 0;
      this.options.log.error('the store refuses writes: no invitation can be recorded and no card posted until it accepts them again', { error: describe(error) });
      return;
    }
    this.failuresSinceReport++;
    if (now - this.lastReportAt < this.reportEveryMs) return;
    this.options.log.error('the store still refuses writes', {
      error: describe(error),
      failedWrites: this.failuresSinceReport,
      refusingSince: new Date(this.failingSince).toISOString(),
    });
    this.lastReportAt = now;
    this.failuresSinceReport = 0;
  }
}

/** The store's own error for the log line: the operator needs its words ("readonly database"), not the wrapper's. */
function describe(error: unknown): unknown {
  return error instanceof StoreUnavailableError && error.cause instanceof Error ? error.cause : error;
}

/**
 * A storage that tells StoreHealth how each write and delete went. A failure other than an eTag conflict (which
 * proves the store works) is rethrown as StoreUnavailableError, so callers can tell "the store is down" from their
 * own errors and leave the reporting to StoreHealth.
 */
export class HealthReportingStorage implements ClosableStorage {
  /** Present exactly when the wrapped storage has it (callers test for it). */
  readonly deleteIfETag?: (key: string, eTag: string) => Promise<boolean>;

  constructor(
    private readonly inner: ClosableStorage,
    private readonly health: StoreHealth,
  ) {
    const conditionalDelete = inner.deleteIfETag?.bind(inner);
    if (conditionalDelete) {
      this.deleteIfETag = async (key, eTag) => {
        let deleted = false;
        await this.reported(async () => {
          deleted = await conditionalDelete(key, eTag);
        });
        return deleted;
      };
    }
  }

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  keysWithPrefix(prefix: string): Promise<string[]> {
    return this.inner.keysWithPrefix(prefix);
  }

  write(changes: StoreItems): Promise<void> {
    return this.reported(() => this.inner.write(changes));
  }

  delete(keys: string[]): Promise<void> {
    return this.reported(() => this.inner.delete(keys));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async reported(change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (err) {
      if (isETagConflict(err)) {
        this.health.writeSucceeded();
        throw err;
      }
      // A caller's mistake (a value that is not JSON) says nothing about the store.
      if (err instanceof TypeError) throw err;
      this.health.writeFailed(err);
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err);
    }
    this.health.writeSucceeded();
  }
}
