// Exponential backoff with full jitter, honouring the server's Retry-After, and an abortable sleep.
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** The longest Retry-After honoured (default MAX_RETRY_AFTER_MS); a longer one is cut to this. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Four minutes: a UCWA web application is reaped about five minutes after its last P-GET, so waiting out a longer
 * Retry-After would lose the session. It also keeps a huge or garbled value from overflowing setTimeout, which
 * Node turns into a 1 ms timer (a tight retry loop against a server that asked us to back off).
 */
export const MAX_RETRY_AFTER_MS = 240_000;

/** Delay before retry number `attempt` (0-based): random in [0, min(max, base * 2^attempt)], at least Retry-After. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * cap);
  if (retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds < 0) return jittered;
  const asked = Math.min(retryAfterSeconds * 1000, policy.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
  return Math.max(jittered, asked);
}

/**
 * Resolves after `ms`, or rejects with an AbortError when the signal fires first. Node's own promise timer (test
 * clocks that fake `node:timers/promises` control it too).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

/**
 * Seconds a `Retry-After` header asks for (RFC 9110: delay-seconds or an HTTP date), or undefined when absent or
 * garbled. The one parser for UCWA answers and Teams answers alike; `backoffDelay` caps what it returns.
 */
export function parseRetryAfter(raw: string | readonly string[] | null | undefined, now: number = Date.now()): number | undefined {
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP date names its weekday or month; a bare "-5" or "1.5e3" would otherwise parse as a year.
  const at = /[A-Za-z]/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
