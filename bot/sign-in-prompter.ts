// UCWA_AUTH=oauth: when a watcher's sign-in fails (the token service has no token for the user, or the pool refuses
// it), the user gets ONE sign-in card in their chat, not one per retry, and not again after a restart (the episode is
// kept on the installation). The episode ends when the watcher connects again or the user signs in again; a later
// failure then gets a new card.
import type { Logger } from '../src/logger';
import { type AccountId, storedAccountId } from '../src/store';
import type { AccountStatusView, WatcherSupervisor } from '../src/watcher';
import type { TeamsInstallations } from './installations';
import type { UserTokens } from './user-tokens';

export const SIGN_IN_AGAIN_TEXT = 'I can no longer sign in to Skype for Business for you. Sign in again so that I keep posting your invitations here.';

export class SignInPrompter {
  private readonly prompted = new Set<string>();

  constructor(
    private readonly supervisor: WatcherSupervisor,
    private readonly installations: TeamsInstallations,
    private readonly tokens: UserTokens,
    private readonly log: Logger,
  ) {}

  /** Starts listening to the watchers; returns the unsubscribe function. */
  start(): () => void {
    return this.supervisor.onStatus((status) => void this.onStatus(status));
  }

  /** The user has just signed in: a later failure deserves a new card. */
  reset(accountId: AccountId): void {
    this.prompted.delete(accountId);
    void this.endEpisode(accountId);
  }

  private async endEpisode(id: AccountId): Promise<void> {
    try {
      if ((await this.installations.get(id))?.signInPrompted) await this.installations.update(id, { signInPrompted: undefined });
    } catch (err) {
      this.log.warn('could not clear the sign-in prompt mark', { user: id, error: err as Error });
    }
  }

  private async onStatus(status: AccountStatusView): Promise<void> {
    const id = storedAccountId(status.accountId);
    if (status.state === 'connected') {
      this.prompted.delete(id);
      return this.endEpisode(id);
    }
    if (status.state !== 'authFailed' || this.prompted.has(id)) return;
    this.prompted.add(id);
    const installation = await this.installations.get(id);
    // Already asked during this failure, perhaps by the process before a restart.
    if (!installation?.active || installation.paused || installation.signInPrompted) return;
    try {
      await this.tokens.sendSignInCard(installation.reference, SIGN_IN_AGAIN_TEXT);
      await this.installations.update(id, { signInPrompted: true });
      this.log.info('asked the user to sign in again', { user: id });
    } catch (err) {
      this.log.warn('could not ask the user to sign in again', { user: id, error: err as Error });
    }
  }
}
