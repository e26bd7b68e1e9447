// UCWA_AUTH=oauth: when a watcher's sign-in fails (the token service has no token for the user, or the pool refuses
// it), the user gets ONE sign-in card in their chat, not one per retry. The episode ends when the watcher connects
// again or the user signs in again; a later failure then gets a new card.
import type { Logger } from '../src/logger';
import type { AccountStatusView, WatcherSupervisor } from '../src/watcher';
import type { InstallationRepository } from './installations';
import type { UserTokens } from './user-tokens';

export const SIGN_IN_AGAIN_TEXT = 'I can no longer sign in to Skype for Business for you. Sign in again so that I keep posting your invitations here.';

export class SignInPrompter {
  private readonly prompted = new Set<string>();

  constructor(
    private readonly supervisor: WatcherSupervisor,
    private readonly installations: InstallationRepository,
    private readonly tokens: UserTokens,
    private readonly log: Logger,
  ) {}

  /** Starts listening to the watchers; returns the unsubscribe function. */
  start(): () => void {
    return this.supervisor.onStatus((status) => void this.onStatus(status));
  }

  /** The user has just signed in: a later failure deserves a new card. */
  reset(accountId: string): void {
    this.prompted.delete(accountId.toLowerCase());
  }

  private async onStatus(status: AccountStatusView): Promise<void> {
    const id = status.accountId;
    if (status.state === 'connected') return void this.prompted.delete(id);
    if (status.state !== 'authFailed' || this.prompted.has(id)) return;
    this.prompted.add(id);
    const installation = await this.installations.get(id);
    if (!installation?.active || installation.paused) return;
    try {
      await this.tokens.sendSignInCard(installation.reference, SIGN_IN_AGAIN_TEXT);
      this.log.info('asked the user to sign in again', { user: id });
    } catch (err) {
      this.log.warn('could not ask the user to sign in again', { user: id, error: err as Error });
    }
  }
}
