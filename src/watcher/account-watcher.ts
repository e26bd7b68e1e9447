// Watches one linked Skype for Business account: the loop that keeps a connection (ApplicationConnection) and its
// event channel going, reportMyActivity, the account's status, and the recovery of clicks an earlier process lost;
// every failure is answered as failure-policy.ts decides. Each event batch goes to the account's InvitationBook,
// which persists it before the batch is acknowledged. Accept/decline go through InvitationActionPerformer.
import type { UcwaApplication } from '../ucwa/application';
import type { TokenProvider } from '../ucwa/auth';
import { BackoffPolicy, backoffDelay, sleep } from '../ucwa/backoff';
import type { DiscoveryTarget } from '../ucwa/discovery';
import { isAbortError } from '../ucwa/errors';
import { EventChannel } from '../ucwa/event-channel';
import { MessagingClient } from '../ucwa/messaging';
import { classify, FailureAction, RequestSite } from '../ucwa/failure-policy';
import type { HttpTransport } from '../ucwa/http';
import type { InvitationUpdate } from '../ucwa/invitation';
import { redact } from '../ucwa/redact';
import { Representation, UcwaSession } from '../ucwa/session';
import type { Logger } from '../logger';
import { AccountStatus, InvitationRecord, Repositories, StoreUnavailableError } from '../store';
import { ApplicationConnection, SessionPatch } from './application-connection';
import { InvitationBook } from './invitation-book';
import { ActionOutcome, InvitationActionPerformer } from './invitation-actions';

export type { ActionOutcome } from './invitation-actions';

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
  /**
   * How stale the stored event-channel position may grow while nothing but empty renewals arrive. Each P-GET
   * answer moves the position, but resuming from an older one only costs a resync (the server re-delivers or
   * points at its first unacknowledged batch), so idle renewals are saved at most this often.
   */
  idlePositionSaveSeconds: number;
}

export const DEFAULT_TIMING: WatcherTiming = {
  pgetTimeoutSeconds: 180,
  reportActivitySeconds: 180,
  backoff: { baseMs: 1_000, maxMs: 60_000 },
  authBackoff: { baseMs: 60_000, maxMs: 15 * 60_000 },
  userAgent: 'SfbInvitationsForTeams/0.1',
  culture: 'en-US',
  idlePositionSaveSeconds: 900,
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

/** Rounds of checking lost clicks with the pool per connection before leaving them for the next connection. */
const RECOVERY_ROUNDS = 5;

export class AccountWatcher {
  private readonly session: UcwaSession;
  private readonly timing: WatcherTiming;
  private readonly book: InvitationBook;
  private readonly connection: ApplicationConnection;
  private readonly actions: InvitationActionPerformer;
  private readonly log: Logger;
  private controller?: AbortController;
  /** Aborted by retryNow() to cut the current backoff wait short. */
  private wake?: AbortController;
  private loop?: Promise<void>;
  /** The running check of clicks an earlier process may have lost (beside the event channel). */
  private recovery?: Promise<void>;
  private readonly startedAt: Date;
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
    const settings = { accountId: config.accountId, discovery: config.discovery, userAgent: this.timing.userAgent, culture: this.timing.culture, phoneNumber: config.phoneNumber };
    this.connection = new ApplicationConnection(settings, this.session, deps.repositories, this.book, this.log, (patch) => this.saveSession(patch));
    this.actions = new InvitationActionPerformer(this.session, this.log, config.phoneNumber);
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
    await this.connection.signOut();
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
    this.connection.drop();
  }

  /** sendMessage/stopMessaging in this account's conversations, over its session. */
  get messaging(): MessagingClient {
    return new MessagingClient(this.session);
  }

  /** Performs accept or decline through UCWA with the links cached from the `started` event. */
  perform(record: InvitationRecord, verb: 'accept' | 'decline', declineReason = 'Local'): Promise<ActionOutcome> {
    return this.actions.perform(record, verb, declineReason);
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
      let site: RequestSite = 'discovery';
      try {
        await this.connection.discover(signal);
        site = 'application';
        const { app, startHref } = await this.connection.connect(signal);
        this.status.modalities = app.modalities;
        activity = this.startActivityReports(app, signal);
        await this.setStatus('connected', undefined);
        working = false;
        this.startRecovery(signal);
        site = 'eventChannel';
        await this.watchEvents(startHref, signal, () => {
          working = true;
          attempt = 0;
        });
      } catch (err) {
        if (isAbortError(err) || signal.aborted) break;
        const e = err as Error;
        const action = classify(e, site);
        const policy = await this.respond(e, action);
        // An application that had been working and then vanished (reaped, server restart) is replaced at once; one
        // that never worked is not, or a pool that answers every P-GET with 404 would get a new application per round trip.
        const replaceAtOnce = action.kind === 'recreateApplication' && working && !action.refusedSubcode;
        const delay = replaceAtOnce ? 0 : backoffDelay(policy, attempt, action.retryAfterSeconds, this.deps.random);
        working = false;
        attempt++;
        if (!(await this.backOff(delay, signal))) break;
      } finally {
        if (activity) clearInterval(activity);
      }
    }
  }

  /** Runs the event channel of the connected application until it fails (or the watcher stops). */
  private async watchEvents(startHref: string, signal: AbortSignal, worked: () => void): Promise<never> {
    const position = new PositionSaving(this.timing.idlePositionSaveSeconds * 1000);
    const channel = new EventChannel(this.session, startHref, {
      timeoutSeconds: this.timing.pgetTimeoutSeconds,
      backoff: this.timing.backoff,
      random: this.deps.random,
      onBatch: async (batch) => {
        const recorded = await this.book.record(batch);
        if (recorded) this.status.lastEventAt = new Date().toISOString();
        position.answered(recorded);
        worked();
      },
      onReset: (kind) => this.book.reconcile(kind, this.connection.application),
      onRetry: (err, n, delayMs) => {
        // A store that refuses writes is reported by StoreHealth, once a minute: one warning per retry would flood
        // the log for as long as it lasts.
        this.log[storeRefused(err) ? 'debug' : 'warn']('event channel retry', { error: err, attempt: n, delayMs });
        void this.setStatus('reconnecting', err.message);
      },
      onPosition: async (href) => {
        worked();
        if (this.status.state !== 'connected') await this.setStatus('connected');
        if (position.mustSave(Date.now())) await this.saveSession({ eventsHref: href });
      },
    });
    return channel.run(signal);
  }

  /** Carries out what the failure policy decided; returns the backoff to wait before the next attempt. */
  private async respond(e: Error, action: FailureAction): Promise<BackoffPolicy> {
    let policy = this.timing.backoff;
    let message = e.message;
    if (action.refusedSubcode) {
      this.log.error('the pool refuses another UCWA application for this account; waiting before trying again', { error: e, subcode: action.refusedSubcode });
      policy = this.timing.authBackoff;
      message = `${e.message}: the pool allows no more applications for this account (${action.refusedSubcode}); retrying later`;
    }
    switch (action.kind) {
      case 'recreateApplication':
        this.log.warn('UCWA application gone; creating a new one', { error: e });
        await this.connection.giveUp();
        break;
      case 'rediscover':
        this.log.warn('discovery must be repeated', { error: e });
        this.connection.forgetDiscovery();
        break;
      case 'signInAgain':
        this.log.error('sign-in failed', { error: e });
        await this.setStatus('authFailed', e.message);
        return this.timing.authBackoff;
      default:
        this.log.warn('connection failed', { error: e, rule: action.rule });
    }
    if (this.status.state !== 'authFailed') await this.setStatus('reconnecting', message);
    return policy;
  }

  /** Waits `delayMs`, cut short by retryNow(); false when the watcher stops meanwhile. */
  private async backOff(delayMs: number, signal: AbortSignal): Promise<boolean> {
    this.wake = new AbortController();
    try {
      await sleep(delayMs, AbortSignal.any([signal, this.wake.signal]));
    } catch {
      if (signal.aborted) return false;
    } finally {
      this.wake = undefined;
    }
    return true;
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

  private async saveSession(patch: SessionPatch): Promise<void> {
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
      this.log[storeRefused(err) ? 'debug' : 'warn']('could not save the account session', { error: err as Error });
    }
  }
}

/**
 * Decides which event-channel positions are stored. A position reached by a batch that changed an invitation, or
 * by a resync/resume link (no batch), is saved at once; one reached by an empty renewal only when the stored one is
 * older than `idleMs`. Saving each renewal would cost a read and a write transaction per account every P-GET hold.
 */
export class PositionSaving {
  private batchSeen = false;
  private batchChangedSomething = false;
  private lastSavedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly idleMs: number) {}

  /** A batch arrived on the channel; `changed` says whether it moved any invitation. */
  answered(changed: boolean): void {
    this.batchSeen = true;
    this.batchChangedSomething ||= changed;
  }

  /** The channel moved to a new position at `nowMs`: whether to store it. */
  mustSave(nowMs: number): boolean {
    const save = !this.batchSeen || this.batchChangedSomething || nowMs - this.lastSavedAt >= this.idleMs;
    this.batchSeen = false;
    this.batchChangedSomething = false;
    if (save) this.lastSavedAt = nowMs;
    return save;
  }
}

/** The store refused a write (directly, or as the cause of a batch the channel gave up on). */
function storeRefused(err: unknown): boolean {
  return err instanceof StoreUnavailableError || (err instanceof Error && err.cause instanceof StoreUnavailableError);
}
