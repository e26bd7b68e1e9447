// The event channel loop of one application: exactly one P-GET in flight, URLs taken only from the server
// (resync > resume > next, `ack` never edited), each batch handed to the caller and persisted BEFORE the next
// P-GET acknowledges it, and every documented failure either retried with backoff or raised to the caller.
import { BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, sleep } from './backoff';
import { ApplicationGoneError, isAbortError, RediscoveryNeededError, UcwaHttpError, UcwaNetworkError } from './errors';
import { classify, GivenUpError, RequestSite } from './failure-policy';
import { UcwaParseError, UcwaEventsBody } from './resource';
import type { UcwaSession } from './session';

export interface EventBatch {
  events: UcwaEventsBody;
  /** The URL that returned this batch (relative hrefs in it resolve against it). */
  url: URL;
}

export type ChannelReset = 'resync' | 'resume';

/**
 * How long past the P-GET hold the client still waits for an answer (a P-GET with timeout=180 is given up at 195 s).
 * A pool releases a held P-GET when its hold ends, so an answer this late means the pool (or a proxy in front of it)
 * accepted the request and will never answer; the same URL is then asked again, which the reference calls safe.
 * Small, so a hung poll is noticed within the hold plus 15 s; not zero, so a pool's answer that is merely slow to
 * arrive at the end of the hold is not cut off.
 */
export const PGET_CLIENT_MARGIN_SECONDS = 15;

export interface EventChannelOptions {
  /** Seconds the server may hold the P-GET (documented range 180-1800). */
  timeoutSeconds?: number;
  /** Extra time the HTTP client waits beyond the hold before it gives up on a P-GET (PGET_CLIENT_MARGIN_SECONDS). */
  clientMarginSeconds?: number;
  backoff?: BackoffPolicy;
  /** Consecutive network failures after which the cached URLs are no longer trusted. */
  maxNetworkFailures?: number;
  /** Must finish persisting the batch before it resolves: the next P-GET acknowledges it. */
  onBatch(batch: EventBatch): Promise<void>;
  /** The server says state was reset or events may have been missed: reconcile before going on. */
  onReset?(kind: ChannelReset): Promise<void>;
  /** The URL of the next P-GET, each time it changes (so a restart can continue from it). */
  onPosition?(nextHref: string): Promise<void> | void;
  /** A failure that will be retried after `delayMs`. */
  onRetry?(error: Error, attempt: number, delayMs: number): void;
  random?: () => number;
  /** The wait between retries (a seam for tests; defaults to an abortable timer). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class EventChannel {
  private href: string;
  private readonly timeoutSeconds: number;
  private readonly clientTimeoutMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly maxNetworkFailures: number;
  private running = false;
  /** A resync or resume whose reconciliation still has to run (after the batch that follows it is persisted). */
  private pendingReset?: ChannelReset;
  /** What the current step is doing: the P-GET itself, or the caller's work on its answer (reads beside the channel). */
  private site: RequestSite = 'eventChannel';

  constructor(
    private readonly session: UcwaSession,
    startHref: string,
    private readonly options: EventChannelOptions,
  ) {
    this.href = startHref;
    this.timeoutSeconds = options.timeoutSeconds ?? 180;
    this.clientTimeoutMs = Math.round((this.timeoutSeconds + (options.clientMarginSeconds ?? PGET_CLIENT_MARGIN_SECONDS)) * 1000);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.maxNetworkFailures = options.maxNetworkFailures ?? 10;
  }

  /** The URL the next P-GET will use. */
  get position(): string {
    return this.href;
  }

  /**
   * Runs until aborted (rejects with an AbortError) or until the application must be re-created
   * (ApplicationGoneError), discovery repeated (RediscoveryNeededError) or sign-in fails (UcwaAuthError).
   */
  async run(signal: AbortSignal): Promise<never> {
    if (this.running) throw new Error('the event channel is already running: two P-GETs must never be in flight');
    this.running = true;
    try {
      let attempt = 0;
      let networkFailures = 0;
      for (;;) {
        try {
          await this.once(signal);
          attempt = 0;
          networkFailures = 0;
        } catch (err) {
          if (isAbortError(err) || signal.aborted) throw err;
          const e = err as Error;
          if (e instanceof UcwaNetworkError && ++networkFailures >= this.maxNetworkFailures) throw new RediscoveryNeededError(e);
          const retryAfter = this.decide(e, this.site);
          const delay = backoffDelay(this.backoff, attempt++, retryAfter, this.options.random);
          this.options.onRetry?.(e, attempt, delay);
          await (this.options.sleep ?? sleep)(delay, signal);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One P-GET and the handling of its answer. */
  private async once(signal: AbortSignal): Promise<void> {
    const url = new URL(this.href);
    // Our own parameter is appended as text: re-serialising the query (URLSearchParams) would re-encode the
    // server's opaque parameters (`%20` -> `+`, `~` -> `%7E`), i.e. edit the URL it gave us.
    if (!url.searchParams.has('timeout')) url.search = `${url.search ? `${url.search}&` : '?'}timeout=${this.timeoutSeconds}`;
    this.site = 'eventChannel';
    const { events, url: answeredUrl } = await this.session.getEvents(url.toString(), { timeoutMs: this.clientTimeoutMs, signal });
    const { resync, resume, next } = events.links;
    if (resync) {
      // No events travel with a resync; the batch it leads to may carry the missed outcomes, so reconciliation waits
      // until that batch is persisted (reconciling first would end invitations whose real outcome is about to come).
      // A pending resume (state reset) is the stronger of the two; keep it.
      this.pendingReset = this.pendingReset === 'resume' ? 'resume' : 'resync';
      return this.moveTo(resync, answeredUrl);
    }
    const following = resume ?? next;
    if (!following) throw new UcwaParseError('unexpected-shape', 'an events answer without next, resync or resume', undefined, '');
    if (resume) this.pendingReset = 'resume';
    this.site = 'secondaryResource';
    await this.options.onBatch({ events, url: answeredUrl });
    if (this.pendingReset) {
      // Before the next P-GET acknowledges the batch: if reconciling fails, the batch comes again and so does this.
      await this.options.onReset?.(this.pendingReset);
      this.pendingReset = undefined;
    }
    this.site = 'eventChannel';
    await this.moveTo(following, answeredUrl);
  }

  private async moveTo(href: string, base: URL): Promise<void> {
    // Checked before it is stored or reported: a link to another origin must not even be persisted for a restart.
    this.href = this.session.origins.resolve(href, base).toString();
    await this.options.onPosition?.(this.href);
  }

  /** Raises what the loop cannot fix (see failure-policy.ts); returns the Retry-After (if any) of what it retries. */
  private decide(err: Error, where: RequestSite): number | undefined {
    const action = classify(err, where);
    switch (action.kind) {
      case 'retrySameUrl':
        return action.retryAfterSeconds;
      case 'recreateApplication':
        throw new ApplicationGoneError(err as UcwaHttpError);
      case 'rediscover':
        throw new RediscoveryNeededError(err as UcwaHttpError);
      case 'signInAgain':
        throw err;
      case 'giveUp':
        // The caller must not take a secondary resource's 404 for the channel's own.
        throw where === 'eventChannel' ? err : new GivenUpError(err, where);
    }
  }
}
