// Decides which accounts are watched: a Teams user who installed the bot, whose account is linked, and who has not
// said `disconnect`. Starts and stops their watchers accordingly.
import type { Logger } from '../src/logger';
import type { WatcherSupervisor } from '../src/watcher';
import type { Repositories } from '../src/store';
import type { AccountDirectory } from './account-directory';
import type { Installation, InstallationRepository } from './installations';

export type WatchDecision = 'watching' | 'notLinked' | 'paused' | 'inactive';

export class WatchManager {
  constructor(
    private readonly supervisor: WatcherSupervisor,
    private readonly directory: AccountDirectory,
    private readonly installations: InstallationRepository,
    private readonly repositories: Repositories,
    private readonly log: Logger,
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
    const account = this.directory.find(installation.aadObjectId, installation.upn);
    if (!account) return 'notLinked';
    if (!this.supervisor.isWatching(installation.aadObjectId)) {
      this.log.info('watching a linked account', { user: installation.aadObjectId });
      this.supervisor.start(this.directory.watcherConfig(installation.aadObjectId, account));
    }
    return 'watching';
  }

  /** Stops watching and forgets the UCWA session (the application is deleted). */
  async stop(aadObjectId: string): Promise<void> {
    await this.supervisor.stop(aadObjectId.toLowerCase());
    await this.repositories.accounts.delete(aadObjectId.toLowerCase());
  }

  linkedSip(installation: Installation | undefined, aadObjectId: string, upn?: string): string | undefined {
    return this.directory.find(aadObjectId, upn ?? installation?.upn)?.sip;
  }
}
