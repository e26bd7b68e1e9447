// UCWA_AUTH=oauth: a Teams user's Skype account is the one they signed in with from the chat. The SIP address is
// their UPN (`sip:<upn>`); the watcher's tokens come from the Bot Framework token service, per request.
import { sipAddressOfUpn } from '../src/store';
import { CallbackTokenProvider } from '../src/ucwa/auth';
import type { DiscoveryTarget } from '../src/ucwa/discovery';
import type { AccountConfig } from '../src/watcher';
import type { LinkedAccount } from './accounts';
import type { Installation } from './installations';
import type { UserTokens } from './user-tokens';
import type { AccountSource } from './watch-manager';

export class SignedInAccounts implements AccountSource {
  constructor(
    private readonly discovery: DiscoveryTarget,
    private readonly tokens: UserTokens,
  ) {}

  /** Signed in, and the UPN is known (it names the Skype account). */
  find(user: Pick<Installation, 'aadObjectId' | 'upn' | 'signedIn'>): LinkedAccount | undefined {
    const sip = user.signedIn && user.upn ? sipAddressOfUpn(user.upn) : undefined;
    return sip && { teamsUser: user.aadObjectId, sip };
  }

  watcherConfig(installation: Installation, account: LinkedAccount): AccountConfig {
    const reference = installation.reference;
    return {
      accountId: installation.aadObjectId,
      sip: account.sip,
      discovery: this.discovery,
      // A refused token cannot be forced fresh from here: the token service refreshes its cache by itself, and a
      // token it still returns after a refusal means the user must sign in again (the watcher goes authFailed).
      tokens: new CallbackTokenProvider((origin) => this.tokens.tokenFor(reference, origin)),
    };
  }
}
