// Decides which accounts are watched: a Teams user who installed the bot, whose account is linked, and who has not
// said `disconnect`. Starts and stops their watchers accordingly, with the phone number stored on the installation.
import type { Logger } from '../src/logger';
import type { WatcherSupervisor } from '../src/watcher';
import { type AccountId, callPhoneNumber, maskPhoneNumber, type Repositories, StoreUnavailableError } from '../src/store';
import type { AccountConfig } from '../src/watcher';
import type { LinkedAccount } from './accounts';
import type { Installation, TeamsInstallations } from './installations';

/** Where a Teams user's Skype account comes from: the accounts file, or the user's own sign-in (oauth). */
export interface AccountSource {
  /** The user's account, if it is linked (or signed in); `signedIn` matters only to the oauth source. */
  find(user: Pick<Installation, 'aadObjectId' | 'upn' | 'signedIn'>): LinkedAccount | undefined;
  /** How the account signs in and where its pool is (the phone number is the installation's, added by the manager). */
  watcherConfig(installation: Installation, account: LinkedAccount): AccountConfig;
}

export type WatchDecision = 'watching' | 'notLinked' | 'paused' | 'inactive';

export class WatchManager {
  /** One decision per account at a time: two messages at once must not both restart its watcher. */
  private readonly chains = new Map<AccountId, Promise<unknown>>();

  constructor(
    private readonly supervisor: WatcherSupervisor,
    private readonly directory: AccountSource,
    private readonly installations: TeamsInstallations,
    private readonly repositories: Repositories,
    private readonly log: Logger,
    /** Whether this instance owns an account (several instances share the accounts); default: it owns them all. */
    private readonly owns: (accountId: string) => boolean = () => true,
  ) {}

  /** At start-up: watch every active, linked, not paused installation. */
  async startAll(): Promise<number> {
    let n = 0;
    for (const installation of await this.installations.list()) if ((await this.ensure(installation)) === 'watching') n++;
    return n;
  }

  /**
   * Watches the account if it should be watched. A watcher that rings another phone number than the one stored now
   * is started again: the pool learns the number when the application is made available.
   */
  ensure(installation: Installation): Promise<WatchDecision> {
    return this.serially(installation.aadObjectId, () => this.decide(installation));
  }

  /** Stops watching and forgets the UCWA session (the application is deleted). */
  stop(id: AccountId): Promise<void> {
    return this.serially(id, () => this.stopNow(id));
  }

  linkedSip(installation: Installation | undefined, id: AccountId, upn?: AccountId): string | undefined {
    return this.directory.find({ aadObjectId: id, upn: upn ?? installation?.upn, signedIn: installation?.signedIn })?.sip;
  }

  private async decide(given: Installation): Promise<WatchDecision> {
    if (!given.active) return 'inactive';
    if (given.paused) return 'paused';
    const account = this.directory.find(given);
    if (!account) return 'notLinked';
    // Noted before the watcher runs, so that a call's card, drawn from the store, already knows the number.
    const installation = await this.noteLinkedPhoneNumber(given, account);
    const config: AccountConfig = { ...this.directory.watcherConfig(installation, account), phoneNumber: callPhoneNumber(installation) };
    // Owned by another instance: it is watched there.
    if (!this.owns(config.accountId)) return 'watching';
    const running = this.supervisor.config(installation.aadObjectId);
    if (running && running.phoneNumber === config.phoneNumber) return 'watching';
    if (running) {
      this.log.info('the phone number for calls changed; connecting again so that the pool rings it', {
        user: installation.aadObjectId,
        phone: config.phoneNumber ? maskPhoneNumber(config.phoneNumber) : '(none)',
      });
      await this.stopNow(installation.aadObjectId);
    } else {
      this.log.info('watching a linked account', { user: installation.aadObjectId });
    }
    this.supervisor.start(config);
    return 'watching';
  }

  /** Keeps the accounts file's number for the account on the installation, where the cards read it. */
  private async noteLinkedPhoneNumber(installation: Installation, account: LinkedAccount): Promise<Installation> {
    if (installation.linkedPhoneNumber === account.phoneNumber) return installation;
    const noted = { ...installation, linkedPhoneNumber: account.phoneNumber };
    try {
      return (await this.installations.update(installation.aadObjectId, { linkedPhoneNumber: account.phoneNumber })) ?? noted;
    } catch (err) {
      // A store that refuses writes is reported by StoreHealth; watching goes on with the number in hand.
      if (!(err instanceof StoreUnavailableError)) throw err;
      return noted;
    }
  }

  private async stopNow(id: AccountId): Promise<void> {
    await this.supervisor.stop(id);
    await this.repositories.accounts.delete(id);
  }

  private serially<T>(id: AccountId, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.chains.set(id, next);
    void next.finally(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    }).catch(() => undefined);
    return next;
  }
}
