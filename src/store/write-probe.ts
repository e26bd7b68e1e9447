// Proves the store can write, for /readyz: a read then an eTag-guarded write of the instance's own probe item
// (sfb/readiness/<instance>, a key no repository uses). The answer is kept for a few seconds and concurrent checks
// share one probe, so a flood of /readyz requests cannot become a flood of writes.
import type { Storage } from 'botbuilder';
import { isETagConflict } from './errors';
import { storageKeys } from './keys';

/** `refusesWrites`: reads work, the write failed; `unreachable`: even the read failed. */
export type StoreProbeResult = 'ok' | 'refusesWrites' | 'unreachable';

export interface StoreWriteProbeOptions {
  /** Names this process's probe item; the host name or App Service's instance id. */
  instance: string;
  /** How long an answer is reused. Default 5 s. */
  cacheMs?: number;
  now?: () => number;
}

export class StoreWriteProbe {
  private readonly key: string;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private last?: { result: StoreProbeResult; at: number };
  private inFlight?: Promise<StoreProbeResult>;

  constructor(
    private readonly storage: Storage,
    options: StoreWriteProbeOptions,
  ) {
    this.key = storageKeys.readiness(options.instance);
    this.cacheMs = options.cacheMs ?? 5_000;
    this.now = options.now ?? (() => Date.now());
  }

  check(): Promise<StoreProbeResult> {
    if (this.last && this.now() - this.last.at < this.cacheMs) return Promise.resolve(this.last.result);
    this.inFlight ??= this.probe().then((result) => {
      this.last = { result, at: this.now() };
      this.inFlight = undefined;
      return result;
    });
    return this.inFlight;
  }

  private async probe(): Promise<StoreProbeResult> {
    let eTag: string | undefined;
    try {
      eTag = (await this.storage.read([this.key]))[this.key]?.eTag as string | undefined;
    } catch {
      return 'unreachable';
    }
    try {
      // Guarded by the eTag just read ('*' creates the item the first time).
      await this.storage.write({ [this.key]: { checkedAt: new Date(this.now()).toISOString(), eTag: eTag ?? '*' } });
      return 'ok';
    } catch (err) {
      // Another process of the same instance name wrote in between: the store accepted that write.
      return isETagConflict(err) ? 'ok' : 'refusesWrites';
    }
  }
}
