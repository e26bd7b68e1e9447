// The accounts file (UCWA_ACCOUNTS_FILE): which Teams user is linked to which Skype for Business account, and how
// that account signs in. Passwords should come from environment variables (`passwordEnv`), not the file.
import { readFileSync } from 'node:fs';
import { type AccountId, accountIdOf, type SipAddress, sipAddressOf } from '../src/store';
import { ConfigError } from './config';

export interface LinkedAccount {
  /** The Teams user: UPN or Entra object id. */
  teamsUser: AccountId;
  sip: SipAddress;
  /** Sign-in name for the password grant (UPN or DOMAIN\user). */
  username?: string;
  password?: string;
  /** A phone number for calls (acceptWithPhoneAudio). */
  phoneNumber?: string;
}

const VAR = 'UCWA_ACCOUNTS_FILE';

export function loadAccountsFile(path: string, env: NodeJS.ProcessEnv, mode: 'password' | 'azure'): LinkedAccount[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(VAR, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(VAR, `${path} is not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(VAR, `${path} must hold a JSON array of accounts`);
  const seen = new Set<string>();
  return parsed.map((entry, i) => {
    const where = `${path} entry ${i}`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(VAR, `${where} must be an object`);
    const e = entry as Record<string, unknown>;
    const teamsUser = accountIdOf(e.teamsUser);
    if (!teamsUser) throw new ConfigError(VAR, `${where}: "teamsUser" (UPN or Entra object id) is required`);
    if (seen.has(teamsUser)) throw new ConfigError(VAR, `${where}: teamsUser ${teamsUser} is listed twice`);
    seen.add(teamsUser);
    const sip = sipAddressOf(e.sip);
    if (!sip) throw new ConfigError(VAR, `${where}: "sip" must look like sip:user@domain`);
    const account: LinkedAccount = { teamsUser, sip };
    if (typeof e.phoneNumber === 'string' && e.phoneNumber.trim()) account.phoneNumber = e.phoneNumber.trim();
    if (mode === 'password') {
      account.username = typeof e.username === 'string' && e.username.trim() ? e.username.trim() : sip.slice(4);
      if (typeof e.passwordEnv === 'string' && e.passwordEnv) {
        const pw = env[e.passwordEnv];
        if (!pw) throw new ConfigError(VAR, `${where}: the environment variable ${e.passwordEnv} (passwordEnv) is empty or not set`);
        account.password = pw;
      } else if (typeof e.password === 'string' && e.password) {
        account.password = e.password;
      } else {
        throw new ConfigError(VAR, `${where}: "passwordEnv" (preferred) or "password" is required when UCWA_AUTH=password`);
      }
    }
    return account;
  });
}

/** Finds the linked account of a Teams user by Entra object id or UPN. */
export function findLinkedAccount(accounts: readonly LinkedAccount[], aadObjectId: AccountId | undefined, upn: AccountId | undefined): LinkedAccount | undefined {
  return accounts.find((a) => a.teamsUser === aadObjectId || a.teamsUser === upn);
}

/**
 * The local demo signs in its own simulated users, so an accounts file is not used there. Says so in one line (and,
 * for a file that is missing or invalid, why it could not have been used), so that nobody believes it was read.
 */
export function demoAccountsFileNotice(path: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!path) return undefined;
  const unused = 'the local demo does not use it (set UCWA_DISCOVERY_URL or UCWA_DOMAIN to watch real accounts)';
  try {
    loadAccountsFile(path, env, 'password');
  } catch (err) {
    if (err instanceof ConfigError) return `${err.message}; ${unused}`;
    throw err;
  }
  return `${VAR}: ${path} is ignored: ${unused}`;
}
