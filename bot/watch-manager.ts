// Decides which accounts are watched: a Teams user who installed the bot, whose account is linked, and who has not
// said `disconnect`. Starts and stops their watchers accordingly.
import type { Logger } from '../src/logger';
import type { WatcherSupervisor } from '../src/watcher';
import type { Repositories } from '../src/store';
import type { AccountConfig } from '../src/watcher';
import type { LinkedAccount } from './accounts';
import type { Installation, InstallationRepository } from './installations';

/** Where a Teams user's Skype account comes from: the accounts file, or the user's own sign-in (oauth). */
export interface AccountSource {
  /** The user's account, if it is linked (or signed in); `signedIn` matters only to the oauth source. */
  find(user: Pick<Installation, 'aadObjectId' | 'upn' | 'signedIn'>): LinkedAccount | undefined;
  watcherConfig(installation: Installation, account: LinkedAccount): AccountConfig;
}

export type WatchDecision = 'watching' | 'notLinked' | 'paused' | 'inactive';

export class WatchManager {
  constructor(
    private readonly supervisor: WatcherSupervisor,
    private readonly directory: AccountSource,
    private readonly installations: InstallationRepository,
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

  async ensure(installation: Installation): Promise<WatchDecision> {
    if (!installation.active) return 'inactive';
    if (installation.paused) return 'paused';
    const account = this.directory.find(installation);
    if (!account) return 'notLinked';
    const config = this.directory.watcherConfig(installation, account);
    // Owned by another instance: it is watched there.
    if (!this.owns(config.accountId)) return 'watching';
    if (!this.supervisor.isWatching(config.accountId)) {
      this.log.info('watching a linked account', { user: installation.aadObjectId });
      this.supervisor.start(config);
    }
    return 'watching';
  }

  /** Stops watching and forgets the UCWA session (the application is deleted). */
  async stop(aadObjectId: string): Promise<void> {
    await this.supervisor.stop(aadObjectId.toLowerCase());
    await this.repositories.accounts.delete(aadObjectId.toLowerCase());
  }

  linkedSip(installation: Installation | undefined, aadObjectId: string, upn?: string): string | undefined {
    return this.directory.find({ aadObjectId, upn: upn ?? installation?.upn, signedIn: installation?.signedIn })?.sip;
  }
}
