// Logs refused requests without letting anyone flood the log: per reason, the first few in each window are logged
// (one JSON line each); the rest are counted and reported as one summary line when the window closes.
import type { Logger } from '../../src/logger';

export interface RejectionLogOptions {
  /** Lines logged per reason and window before the rest are only counted. */
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

interface Bucket {
  windowStart: number;
  logged: number;
  suppressed: number;
}

export class RejectionLog {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    options: RejectionLogOptions = {},
  ) {
    this.perWindow = options.perWindow ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** One refused request (or one line of library output, which hostile requests can also cause). */
  record(reason: string, fields: Record<string, unknown> = {}, level: 'warn' | 'error' = 'warn'): void {
    const bucket = this.bucketFor(reason);
    if (bucket.logged < this.perWindow) {
      bucket.logged++;
      this.log[level](level === 'error' ? 'request failed' : 'request rejected', { reason, ...fields });
      return;
    }
    bucket.suppressed++;
    this.scheduleFlush();
  }

  /** Writes the summary of every window that has ended (and, with `all`, of the current ones too). */
  flush(all = false): void {
    const now = this.now();
    for (const [reason, bucket] of this.buckets) {
      if (!all && now - bucket.windowStart < this.windowMs) continue;
      if (bucket.suppressed > 0) this.log.warn(`${bucket.suppressed} more rejected requests suppressed`, { reason, suppressed: bucket.suppressed, windowSeconds: Math.round(this.windowMs / 1000) });
      this.buckets.delete(reason);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush(true);
  }

  private bucketFor(reason: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(reason);
    if (bucket && now - bucket.windowStart >= this.windowMs) {
      this.flush();
      bucket = undefined;
    }
    if (!bucket) {
      bucket = { windowStart: now, logged: 0, suppressed: 0 };
      this.buckets.set(reason, bucket);
    }
    return bucket;
  }

  /** The summary must appear even when the flood stops: a timer closes the window. */
  private scheduleFlush(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
      if ([...this.buckets.values()].some((b) => b.suppressed > 0)) this.scheduleFlush();
    }, this.windowMs);
    this.timer.unref();
  }
}
