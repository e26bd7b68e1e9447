// Setting up one account's UCWA application: discovery (cached until the pool asks for it again), then the stored
// application if it can be continued (no lost batch), else a new one made available; and signing out every
// application that is given up, so the pool never holds two of ours for the user.
import { DELETE_TIMEOUT_MS, UcwaApplication } from '../ucwa/application';
import { discover, DiscoveryResult, DiscoveryTarget } from '../ucwa/discovery';
import { isAbortError } from '../ucwa/errors';
import type { UcwaSession } from '../ucwa/session';
import type { Logger } from '../logger';
import type { Repositories } from '../store';
import type { InvitationBook } from './invitation-book';

export interface ConnectionSettings {
  accountId: string;
  discovery: DiscoveryTarget;
  userAgent: string;
  culture: string;
  phoneNumber?: string;
}

export interface SessionPatch {
  applicationHref?: string;
  eventsHref?: string;
  poolOrigin?: string;
}

export interface Connection {
  app: UcwaApplication;
  /** Where the event channel starts (the stored position when continuing). */
  startHref: string;
}

/** A given-up application whose DELETE failed is tried once more after this long (or at sign-out, if sooner). */
export const DISCARD_RETRY_MS = 60_000;

export class ApplicationConnection {
  private discovered?: DiscoveryResult;
  private current?: UcwaApplication;
  /** Given-up applications whose DELETE failed, with the timer of their one retry. */
  private readonly undeleted = new Map<string, { why: string; timer: NodeJS.Timeout }>();

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly session: UcwaSession,
    private readonly repositories: Repositories,
    private readonly book: InvitationBook,
    private readonly log: Logger,
    /** Stores the account's session (never throws). */
    private readonly saveSession: (patch: SessionPatch) => Promise<void>,
  ) {}

  /** The application in use, if any. */
  get application(): UcwaApplication | undefined {
    return this.current;
  }

  async discover(signal: AbortSignal): Promise<void> {
    this.discovered ??= await discover(this.session, this.settings.discovery, signal);
  }

  /** The pool said the cached discovery is stale; the stored application is tried again after the next discovery. */
  forgetDiscovery(): void {
    this.discovered = undefined;
    this.current = undefined;
  }

  /** The stored application if it is still alive, else a new one (the old ones signed out first). */
  async connect(signal: AbortSignal): Promise<Connection> {
    if (!this.discovered) throw new Error('connect() before discover()');
    const stored = await this.repositories.accounts.get(this.settings.accountId);
    // Also after a failure of the running channel (sign-in refused, an unexpected answer): the application is most
    // likely alive, and continuing it keeps its pending invitations; a new one would orphan them and the old app.
    if (stored?.applicationHref && stored.eventsHref) {
      const resumed = await this.tryResume(stored.applicationHref, stored.eventsHref, signal);
      if (resumed) return resumed;
    }
    // Whatever came before is given up: the stored application could not be continued, and one held only here (its
    // session could not be stored) has no position to continue from. Signed out before another is made.
    for (const href of new Set([stored?.applicationHref, this.current?.links.self])) await this.discard(href, 'it will not be continued');
    this.current = undefined;
    return this.create(this.discovered, signal);
  }

  /** The pool says the application is gone: signed out anyway (it may live on), forgotten, its invitations ended. */
  async giveUp(): Promise<void> {
    // A 404/410 may be a proxy's, or meant for the channel alone: the user must never hold two applications of ours.
    await this.discard(this.current?.links.self, 'the pool answered that it is gone');
    this.current = undefined;
    await this.saveSession({ applicationHref: undefined, eventsHref: undefined });
    // Invitations that arrived while the application was dead never reach us; say so.
    await this.book.endOrphaned('applicationLost');
  }

  /** Stop: deletes the application (sign out) and forgets its session. */
  async signOut(): Promise<void> {
    // Given-up applications still waiting for their retry are tried now: the session ends with this sign-out.
    for (const [href, { why, timer }] of [...this.undeleted]) {
      clearTimeout(timer);
      this.undeleted.delete(href);
      await this.discard(href, why, 'last');
    }
    const app = this.current;
    this.current = undefined;
    if (!app) return;
    try {
      await app.delete();
      // Signed out: a later start must not try to continue the deleted application.
      await this.saveSession({ applicationHref: undefined, eventsHref: undefined });
    } catch (err) {
      this.log.warn('could not delete the UCWA application', { error: err as Error });
    }
  }

  /** A crash: the application stays on the pool and in the store, for a later watcher to continue. */
  drop(): void {
    for (const { timer } of this.undeleted.values()) clearTimeout(timer);
    this.undeleted.clear();
    this.current = undefined;
  }

  private async create(discovered: DiscoveryResult, signal: AbortSignal): Promise<Connection> {
    const app = await UcwaApplication.create(this.session, discovered.applicationsUrl, this.applicationOptions(), signal);
    this.current = app;
    try {
      await app.makeAvailable(signal);
      // Anything still open belongs to a previous application whose links are dead.
      await this.book.endOrphaned('applicationReplaced', app.links.self);
    } catch (err) {
      // Half set up: sign it out rather than leave it on the pool (the next attempt creates a fresh one).
      this.current = undefined;
      await this.discard(app.links.self, 'it was only half set up');
      throw err;
    }
    await this.saveSession({ applicationHref: app.links.self, eventsHref: app.links.events, poolOrigin: discovered.poolOrigin });
    return { app, startHref: app.links.events };
  }

  private async tryResume(applicationHref: string, eventsHref: string, signal: AbortSignal): Promise<Connection | undefined> {
    try {
      if (!this.session.origins.has(new URL(applicationHref).origin)) return undefined;
      const app = await UcwaApplication.attach(this.session, applicationHref, eventsHref, this.applicationOptions(), signal);
      this.current = app;
      this.log.info('continuing the stored UCWA application', { applicationHref });
      return { app, startHref: eventsHref };
    } catch (err) {
      if (isAbortError(err)) throw err;
      this.log.info('stored UCWA application not usable; creating a new one', { error: err as Error });
      return undefined;
    }
  }

  /**
   * Signs out an application that is given up. Best effort and bounded in time (a pool that does not answer reaps it
   * later); not cut short by stop(), which signs out too. Only hosts the discovery chain established are asked: the
   * token never goes anywhere else.
   */
  private async discard(href: string | undefined, why: string, attempt: 'first' | 'last' = 'first'): Promise<void> {
    if (!href) return;
    let origin: string;
    try {
      origin = new URL(href).origin;
    } catch {
      return;
    }
    if (!this.session.origins.has(origin)) {
      this.log.warn('not signing out a UCWA application on a host the discovery chain did not establish', { applicationHref: href });
      return;
    }
    try {
      await UcwaApplication.deleteAt(this.session, href, AbortSignal.timeout(DELETE_TIMEOUT_MS));
      this.log.info('signed out a UCWA application that is given up', { applicationHref: href, why });
    } catch (err) {
      // Left alive it would hold one of the user's few application slots on the pool: one more try, later.
      const retry = attempt === 'first' && !this.undeleted.has(href);
      this.log.warn('could not sign out a UCWA application that is given up', { applicationHref: href, why, retry, error: err as Error });
      if (!retry) return;
      const timer = setTimeout(() => {
        this.undeleted.delete(href);
        void this.discard(href, why, 'last');
      }, DISCARD_RETRY_MS);
      timer.unref();
      this.undeleted.set(href, { why, timer });
    }
  }

  private applicationOptions() {
    return { userAgent: this.settings.userAgent, culture: this.settings.culture, phoneNumber: this.settings.phoneNumber };
  }
}
