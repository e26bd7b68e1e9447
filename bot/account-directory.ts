// Which Skype for Business account belongs to which Teams user, and how the watcher signs it in.
import type { HttpTransport } from '../src/ucwa/http';
import { AccessTokenCredential, AzureCredentialTokenProvider, PasswordTokenProvider, TokenProvider } from '../src/ucwa/auth';
import type { DiscoveryTarget } from '../src/ucwa/discovery';
import type { AccountConfig } from '../src/watcher';
import { findLinkedAccount, LinkedAccount } from './accounts';
import type { Installation } from './installations';
import type { AccountSource } from './watch-manager';

export interface AccountDirectoryOptions {
  accounts: LinkedAccount[];
  discovery: DiscoveryTarget;
  auth: 'password' | 'azure';
  transport: HttpTransport;
  /** The Azure credential for UCWA_AUTH=azure. */
  credential?: AccessTokenCredential;
}

/** The accounts file's links (password and azure modes). */
export class AccountDirectory implements AccountSource {
  constructor(private readonly options: AccountDirectoryOptions) {}

  /** The linked account of a Teams user, by Entra object id or UPN. */
  find(user: Pick<Installation, 'aadObjectId' | 'upn'>): LinkedAccount | undefined {
    return findLinkedAccount(this.options.accounts, user.aadObjectId, user.upn);
  }

  /** The watcher configuration for a Teams user's account. The account id is the user's Entra object id. */
  watcherConfig(installation: Installation, account: LinkedAccount): AccountConfig {
    return {
      accountId: installation.aadObjectId,
      sip: account.sip,
      discovery: this.options.discovery,
      tokens: this.tokens(account),
    };
  }

  private tokens(account: LinkedAccount): TokenProvider {
    if (this.options.auth === 'azure') {
      if (!this.options.credential) throw new Error('UCWA_AUTH=azure needs an Azure credential');
      return new AzureCredentialTokenProvider(this.options.credential);
    }
    return new PasswordTokenProvider(this.options.transport, { username: account.username ?? account.sip.slice(4), password: account.password ?? '' });
  }
}
