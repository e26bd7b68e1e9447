// The simulator's user directory: who can sign in, with which password, homed in which pool.
import { readFileSync } from 'node:fs';

export interface SimUser {
  /** Sign-in name (UPN); also the user name accepted by the password grant. */
  upn: string;
  /** SIP URI, `sip:` prefixed. */
  sip: string;
  displayName: string;
  password: string;
  /** Pool the user is homed in: the primary pool (discovery root) or the secondary one (reached by a redirect). */
  pool: 'primary' | 'secondary';
}

/**
 * The Microsoft 365 Agents Playground's default users (its first six, with their UPNs as it reports them) and a few
 * more colleagues, so every chat user of the demo maps to a Skype account.
 */
const DEMO_PEOPLE: Array<[string, string]> = [
  ['alexw@example.com', 'Alex Wilber'],
  ['meganb@example.com', 'Megan Bowen'],
  ['adelev@example.com', 'Adele Vance'],
  ['isaiah@example.com', 'Isaiah Langer'],
  ['pattif@example.com', 'Patti Fernandez'],
  ['diegos@example.com', 'Diego Siciliani'],
  ['gradya@example.com', 'Grady Archie'],
  ['leeg@example.com', 'Lee Gu'],
  ['lidiah@example.com', 'Lidia Holloway'],
  ['lynner@example.com', 'Lynne Robbins'],
  ['miriamg@example.com', 'Miriam Graham'],
  ['nestorw@example.com', 'Nestor Wilke'],
];

export const DEMO_PASSWORD = 'demo';

export function demoUsers(): SimUser[] {
  return DEMO_PEOPLE.map(([upn, displayName]) => ({
    upn,
    sip: `sip:${upn}`,
    displayName,
    password: DEMO_PASSWORD,
    pool: 'primary',
  }));
}

/** Generated users `user<N>@<domain>` for load tests. */
export function generatedUsers(count: number, domain = 'example.com', password = DEMO_PASSWORD): SimUser[] {
  const users: SimUser[] = [];
  for (let i = 0; i < count; i++) {
    const upn = `user${i}@${domain}`;
    users.push({ upn, sip: `sip:${upn}`, displayName: `User ${i}`, password, pool: 'primary' });
  }
  return users;
}

/**
 * Reads a users file: a JSON array of `{upn, sip?, displayName?, password, pool?}`. Throws one clear line on bad input.
 */
export function loadUsersFile(path: string): SimUser[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`users file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(parsed)) throw new Error(`users file ${path}: expected a JSON array of users`);
  return parsed.map((raw, i) => normaliseUser(raw, `users file ${path}, entry ${i}`));
}

export function normaliseUser(raw: unknown, where: string): SimUser {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: expected an object`);
  const r = raw as Record<string, unknown>;
  const upn = r.upn;
  if (typeof upn !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(upn)) throw new Error(`${where}: "upn" must look like name@domain`);
  if (typeof r.password !== 'string' || r.password === '') throw new Error(`${where}: "password" is required`);
  const sip = typeof r.sip === 'string' ? r.sip : `sip:${upn}`;
  if (!sip.startsWith('sip:')) throw new Error(`${where}: "sip" must start with sip:`);
  const pool = r.pool === 'secondary' ? 'secondary' : 'primary';
  const displayName = typeof r.displayName === 'string' ? r.displayName : upn.split('@')[0];
  return { upn: upn.toLowerCase(), sip: sip.toLowerCase(), displayName, password: r.password, pool };
}

export class UserDirectory {
  private readonly byUpn = new Map<string, SimUser>();
  private readonly bySip = new Map<string, SimUser>();

  constructor(users: SimUser[]) {
    for (const u of users) this.add(u);
  }

  add(user: SimUser): void {
    this.byUpn.set(user.upn.toLowerCase(), user);
    this.bySip.set(user.sip.toLowerCase(), user);
  }

  /** Finds a user by UPN, SIP URI (with or without `sip:`), or a `DOMAIN\user` style name. */
  find(name: string): SimUser | undefined {
    const n = name.trim().toLowerCase();
    const bare = n.includes('\\') ? n.slice(n.indexOf('\\') + 1) : n;
    return this.byUpn.get(n) ?? this.bySip.get(n) ?? this.bySip.get(`sip:${n}`) ?? this.findByLocalPart(bare);
  }

  private findByLocalPart(local: string): SimUser | undefined {
    if (local.includes('@')) return undefined;
    for (const u of this.byUpn.values()) if (u.upn.split('@')[0] === local) return u;
    return undefined;
  }

  all(): SimUser[] {
    return [...this.byUpn.values()];
  }
}
