// Watches one linked Skype for Business account: discovery, application, makeMeAvailable, reportMyActivity and the
// event channel, recovering from every failure with backoff. Each event batch goes to the account's InvitationBook,
// which persists it before the batch is acknowledged. It also performs the UCWA accept/decline for this account.
import { UcwaApplication } from '../ucwa/application';
import type { TokenProvider } from '../ucwa/auth';
import { BackoffPolicy, backoffDelay, sleep } from '../ucwa/backoff';
import { discover, DiscoveryResult, DiscoveryTarget } from '../ucwa/discovery';
import { ApplicationGoneError, isAbortError, RediscoveryNeededError, UcwaAuthError, UcwaHttpError, UcwaOriginError } from '../ucwa/errors';
import { EventChannel } from '../ucwa/event-channel';
import type { HttpTransport } from '../ucwa/http';
import type { InvitationUpdate } from '../ucwa/invitation';
import { redact } from '../ucwa/redact';
import { Representation, UcwaSession } from '../ucwa/session';
import type { Logger } from '../logger';
import { AccountStatus, InvitationRecord, isTerminalState, Repositories, StoreUnavailableError } from '../store';
import { InvitationBook } from './invitation-book';

export interface AccountConfig {
  /** Stable id of the linked account (the store keys by it). */
  accountId: string;
  sip: string;
  discovery: DiscoveryTarget;
  tokens: TokenProvider;
  /** With a phone number, calls can be accepted by ringing it (acceptWithPhoneAudio). */
  phoneNumber?: string;
  representation?: Representation;
}

export interface WatcherTiming {
  /** P-GET hold asked of the server (180-1800). */
  pgetTimeoutSeconds: number;
  /** reportMyActivity period; the documented window is 4 minutes. */
  reportActivitySeconds: number;
  backoff: BackoffPolicy;
  /** Backoff after a refused sign-in (no point in hammering the token service). */
  authBackoff: BackoffPolicy;
  userAgent: string;
  culture: string;
}

export const DEFAULT_TIMING: WatcherTiming = {
  pgetTimeoutSeconds: 180,
  reportActivitySeconds: 180,
  backoff: { baseMs: 1_000, maxMs: 60_000 },
  authBackoff: { baseMs: 60_000, maxMs: 15 * 60_000 },
  userAgent: 'SfbInvitationsForTeams/0.1',
  culture: 'en-US',
};

export interface AccountStatusView {
  accountId: string;
  sip: string;
  state: AccountStatus;
  lastEventAt?: string;
  lastError?: string;
  /** Modalities the pool accepted in makeMeAvailable. */
  modalities: string[];
}

/** One invitation change, after it was persisted. */
export interface InvitationChange {
  accountId: string;
  update: InvitationUpdate;
  record: InvitationRecord;
}

export interface WatcherDeps {
  transport: HttpTransport;
  repositories: Repositories;
  logger: Logger;
  timing?: Partial<WatcherTiming>;
  onChange?(change: InvitationChange): void;
  onStatus?(status: AccountStatusView): void;
  random?: () => number;
  /** When this process started (default: when the watcher was made); older accepting/declining records are a lost click's. */
  startedAt?: Date;
}

/**
 * 410 subcodes that mean "do not simply make another application" (reference §3.3): the user's application limit is
 * reached (a new one would evict another of their clients, perhaps their own Skype) or the pool refuses our user
 * agent. Waited out with the long (auth) backoff, and said in the account's status.
 */
const REFUSED_APPLICATION_SUBCODES = new Set(['TooManyApplications', 'UserAgentNotAllowed']);

function refusedApplicationSubcode(err: Error): string | undefined {
  const http = err instanceof ApplicationGoneError ? err.cause : err instanceof UcwaHttpError ? err : undefined;
  return http?.status === 410 && http.subcode && REFUSED_APPLICATION_SUBCODES.has(http.subcode) ? http.subcode : undefined;
}

/**
 * 403 (other than an invalid token, which the session handles by signing in again) and 502 mean the cached discovery
 * is stale (reference §1): wherever they come from, creating or resuming the application included, not only the
 * event channel.
 */
function asksForRediscovery(err: Error): boolean {
  return err instanceof UcwaHttpError && (err.status === 403 || err.status === 502);
}

/** Rounds of checking lost clicks with the pool per connection before leaving them for the next connection. */
const RECOVERY_ROUNDS = 5;

export type ActionOutcome =
  | { ok: true }
  | { ok: false; why: 'notOffered' | 'notConnected' | 'refused'; status?: number; reason?: { code: string; subcode?: string; message?: string } };

export class AccountWatcher {
  private readonly session: UcwaSession;
  private readonly timing: WatcherTiming;
  private readonly book: InvitationBook;
  private readonly log: Logger;
  private controller?: AbortController;
  /** Aborted by retryNow() to cut the current backoff wait short. */
  private wake?: AbortController;
  private loop?: Promise<void>;
  /** The running check of clicks an earlier process may have lost (beside the event channel). */
  private recovery?: Promise<void>;
  private readonly startedAt: Date;
  private discovered?: DiscoveryResult;
  private application?: UcwaApplication;
  private status: AccountStatusView;

  constructor(
    readonly config: AccountConfig,
    private readonly deps: WatcherDeps,
  ) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.startedAt = deps.startedAt ?? new Date();
    this.session = new UcwaSession({ transport: deps.transport, tokens: config.tokens, representation: config.representation });
    this.log = deps.logger.child({ account: config.accountId });
    this.status = { accountId: config.accountId, sip: config.sip, state: 'stopped', modalities: [] };
    this.book = new InvitationBook(config.accountId, this.session, deps.repositories, this.log, (change) => deps.onChange?.(change));
  }

  get currentStatus(): AccountStatusView {
    return { ...this.status };
  }

  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal).finally(() => (this.loop = undefined));
  }

  /** Stops watching and deletes the UCWA application (sign out). */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    await this.recovery;
    const app = this.application;
    this.application = undefined;
    if (app) {
      try {
        await app.delete();
        // Signed out: a later start must not try to continue the deleted application.
        await this.saveSession({ applicationHref: undefined, eventsHref: undefined });
      } catch (err) {
        this.log.warn('could not delete the UCWA application', { error: err as Error });
      }
    }
    await this.setStatus('stopped');
  }

  /** Ends the current backoff wait at once: the cause may be gone (the user has just signed in again). */
  retryNow(): void {
    this.wake?.abort();
  }

  /**
   * Stops at once without signing out, as a crash would: the application stays alive on the server and the stored
   * session keeps pointing at it, so a new watcher can continue it. (A test seam for restarts.)
   */
  async kill(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    await this.recovery;
    this.application = undefined;
  }

  // ------------------------------------------------------------------------------------------------ the loop

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let noted = false;
    // Whether the current application's channel has worked (a batch or a new position). Only then is the backoff
    // reset: connecting alone proves little when the pool answers every P-GET with 404 or 410.
    let working = false;
    while (!signal.aborted) {
      // A refused sign-in stays authFailed while it is retried (no flapping to reconnecting and back each time).
      if (this.status.state !== 'authFailed') await this.setStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      noted ||= await this.noteInterruptedActions();
      let activity: NodeJS.Timeout | undefined;
      try {
        const { app, startHref } = await this.connect(signal);
        activity = this.startActivityReports(app, signal);
        await this.setStatus('connected', undefined);
        working = false;
        const worked = () => {
          working = true;
          attempt = 0;
        };
        this.startRecovery(signal);
        const channel = new EventChannel(this.session, startHref, {
          timeoutSeconds: this.timing.pgetTimeoutSeconds,
          backoff: this.timing.backoff,
          random: this.deps.random,
          onBatch: async (batch) => {
            if (await this.book.record(batch)) this.status.lastEventAt = new Date().toISOString();
            worked();
          },
          onReset: (kind) => this.book.reconcile(kind, this.application),
          onRetry: (err, n, delayMs) => {
            // A store that refuses writes is reported by StoreHealth, once a minute: one warning per retry would
            // flood the log for as long as it lasts.
            const level = err instanceof StoreUnavailableError ? 'debug' : 'warn';
            this.log[level]('event channel retry', { error: err, attempt: n, delayMs });
            void this.setStatus('reconnecting', err.message);
          },
          onPosition: async (href) => {
            worked();
            if (this.status.state !== 'connected') await this.setStatus('connected');
            await this.saveSession({ eventsHref: href });
          },
        });
        await channel.run(signal);
      } catch (err) {
        if (isAbortError(err) || signal.aborted) break;
        const e = err as Error;
        let policy = this.timing.backoff;
        const refused = refusedApplicationSubcode(e);
        if (refused) {
          this.log.error('the pool refuses another UCWA application for this account; waiting before trying again', { error: e, subcode: refused });
          policy = this.timing.authBackoff;
        }
        if (e instanceof ApplicationGoneError) {
          // Invitations that arrived while the application was dead never reach us; say so.
          this.log.warn('UCWA application gone; creating a new one', { error: e });
          this.application = undefined;
          await this.saveSession({ applicationHref: undefined, eventsHref: undefined });
          await this.book.endOrphaned('The Skype connection was interrupted; this invitation can no longer be answered here.');
        } else if (e instanceof RediscoveryNeededError || asksForRediscovery(e)) {
          this.log.warn('discovery must be repeated', { error: e });
          this.discovered = undefined;
          this.application = undefined;
        } else if (e instanceof UcwaAuthError) {
          this.log.error('sign-in failed', { error: e });
          policy = this.timing.authBackoff;
          await this.setStatus('authFailed', e.message);
        } else {
          this.log.warn('connection failed', { error: e });
        }
        if (this.status.state !== 'authFailed') {
          await this.setStatus('reconnecting', refused ? `${e.message}: the pool allows no more applications for this account (${refused}); retrying later` : e.message);
        }
        // An application that had been working and then vanished (reaped, server restart) is replaced at once; one
        // that never worked is not, or a pool that answers every P-GET with 404 would get a new application per round trip.
        const replaceAtOnce = e instanceof ApplicationGoneError && working && !refused;
        const delay = replaceAtOnce ? 0 : backoffDelay(policy, attempt, e instanceof UcwaHttpError ? e.retryAfterSeconds : undefined, this.deps.random);
        working = false;
        attempt++;
        this.wake = new AbortController();
        try {
          await sleep(delay, AbortSignal.any([signal, this.wake.signal]));
        } catch {
          if (signal.aborted) break;
        } finally {
          this.wake = undefined;
        }
      } finally {
        if (activity) clearInterval(activity);
      }
    }
  }

  /** Discovery (cached), then the stored application if it is still alive (no lost batch), else a new one. */
  private async connect(signal: AbortSignal): Promise<{ app: UcwaApplication; startHref: string }> {
    this.discovered ??= await discover(this.session, this.config.discovery, signal);
    const stored = await this.deps.repositories.accounts.get(this.config.accountId);
    // Also after a failure of the running channel (sign-in refused, an unexpected answer): the application is most
    // likely alive, and continuing it keeps its pending invitations; a new one would orphan them and the old app.
    if (stored?.applicationHref && stored.eventsHref) {
      const resumed = await this.tryResume(stored.applicationHref, stored.eventsHref, signal);
      if (resumed) {
        this.status.modalities = resumed.app.modalities;
        return resumed;
      }
    }
    const app = await UcwaApplication.create(this.session, this.discovered.applicationsUrl, { userAgent: this.timing.userAgent, culture: this.timing.culture, phoneNumber: this.config.phoneNumber }, signal);
    this.application = app;
    try {
      await app.makeAvailable(signal);
    } catch (err) {
      // Half set up: sign it out rather than leave it on the pool (the next attempt creates a fresh one).
      this.application = undefined;
      await app.delete().catch((e: Error) => this.log.warn('could not delete a half-created UCWA application', { error: e }));
      throw err;
    }
    this.status.modalities = app.modalities;
    // Anything still open belongs to a previous application whose links are dead.
    await this.book.endOrphaned('The Skype connection was restarted; this invitation can no longer be answered here.', app.links.self);
    await this.saveSession({ applicationHref: app.links.self, eventsHref: app.links.events, poolOrigin: this.discovered.poolOrigin });
    return { app, startHref: app.links.events };
  }

  private async tryResume(applicationHref: string, eventsHref: string, signal: AbortSignal): Promise<{ app: UcwaApplication; startHref: string } | undefined> {
    try {
      if (!this.session.origins.has(new URL(applicationHref).origin)) return undefined;
      const app = await UcwaApplication.attach(this.session, applicationHref, eventsHref, { userAgent: this.timing.userAgent, culture: this.timing.culture, phoneNumber: this.config.phoneNumber }, signal);
      this.application = app;
      this.log.info('continuing the stored UCWA application', { applicationHref });
      return { app, startHref: eventsHref };
    } catch (err) {
      if (isAbortError(err)) throw err;
      this.log.info('stored UCWA application not usable; creating a new one', { error: err as Error });
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------ lost clicks

  /**
   * Before the run's first event batch, which would rewrite the records and hide how old their click is. False when
   * the store failed: the next attempt looks again (a record written since then is this process's and not taken).
   */
  private async noteInterruptedActions(): Promise<boolean> {
    try {
      await this.book.noteInterruptedActions(this.startedAt);
      return true;
    } catch (err) {
      this.log.warn('could not look for interrupted clicks', { error: err as Error });
      return false;
    }
  }

  /** Checks the noted clicks with the pool beside the event channel (a slow pool must not hold the events back). */
  private startRecovery(signal: AbortSignal): void {
    if (this.recovery || !this.book.hasInterruptedActions) return;
    this.recovery = this.recoverInterruptedActions(signal).finally(() => (this.recovery = undefined));
  }

  /** A few rounds with backoff; what still has no answer is asked again at the next connection. Never throws. */
  private async recoverInterruptedActions(signal: AbortSignal): Promise<void> {
    try {
      for (let round = 0; ; round++) {
        const remaining = await this.book.recoverInterruptedActions(signal);
        if (remaining === 0) return;
        if (round + 1 >= RECOVERY_ROUNDS) {
          this.log.warn('interrupted clicks still unchecked; asking again at the next connection', { remaining });
          return;
        }
        await sleep(backoffDelay(this.timing.backoff, round, undefined, this.deps.random), signal);
      }
    } catch (err) {
      if (!isAbortError(err)) this.log.warn('checking interrupted clicks failed; asking again at the next connection', { error: err as Error });
    }
  }

  private startActivityReports(app: UcwaApplication, signal: AbortSignal): NodeJS.Timeout {
    const timer = setInterval(() => {
      app.reportActivity(signal).catch((err: Error) => {
        if (!isAbortError(err)) this.log.warn('reportMyActivity failed', { error: err });
      });
    }, this.timing.reportActivitySeconds * 1000);
    timer.unref();
    return timer;
  }

  // --------------------------------------------------------------------------------------------- state

  private async setStatus(state: AccountStatus, lastError?: string): Promise<void> {
    const changed = this.status.state !== state || (lastError !== undefined && lastError !== this.status.lastError);
    this.status.state = state;
    if (lastError !== undefined) this.status.lastError = redact(lastError);
    if (state === 'connected') this.status.lastError = undefined;
    if (!changed) return;
    this.deps.onStatus?.(this.currentStatus);
    await this.saveSession({});
  }

  private async saveSession(patch: { applicationHref?: string; eventsHref?: string; poolOrigin?: string }): Promise<void> {
    try {
      const current = await this.deps.repositories.accounts.get(this.config.accountId);
      await this.deps.repositories.accounts.save({
        accountId: this.config.accountId,
        sip: this.config.sip,
        applicationHref: 'applicationHref' in patch ? patch.applicationHref : current?.applicationHref,
        eventsHref: 'eventsHref' in patch ? patch.eventsHref : current?.eventsHref,
        poolOrigin: patch.poolOrigin ?? current?.poolOrigin,
        status: this.status.state,
        lastEventAt: this.status.lastEventAt,
        lastError: this.status.lastError,
      });
    } catch (err) {
      this.log[err instanceof StoreUnavailableError ? 'debug' : 'warn']('could not save the account session', { error: err as Error });
    }
  }

  // ------------------------------------------------------------------------------------------------ actions

  /** Performs accept or decline through UCWA with the links cached from the `started` event. */
  async perform(record: InvitationRecord, verb: 'accept' | 'decline', declineReason = 'Local'): Promise<ActionOutcome> {
    if (isTerminalState(record.state)) return { ok: false, why: 'refused' };
    const href = verb === 'decline' ? record.actions.decline : record.kind === 'audioVideo' ? (this.config.phoneNumber ? record.actions.acceptWithPhoneAudio : undefined) : record.actions.accept;
    if (!href) return { ok: false, why: 'notOffered' };
    try {
      await this.session.post(href, verb === 'decline' ? { json: { reason: declineReason } } : {});
      return { ok: true };
    } catch (err) {
      if (err instanceof UcwaHttpError) return { ok: false, why: 'refused', status: err.status, reason: err.reason };
      if (err instanceof UcwaOriginError) {
        // The cached link leads outside the pool: it never will work, so it is not offered (no "try again").
        this.log.error(`${verb} refused: the invitation's link is not on the pool`, { error: err });
        return { ok: false, why: 'notOffered' };
      }
      this.log.warn(`${verb} failed`, { error: err as Error });
      return { ok: false, why: 'notConnected' };
    }
  }
}
