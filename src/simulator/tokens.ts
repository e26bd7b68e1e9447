// The WebTicket service of each pool: password-grant tokens that only the issuing pool accepts, the 401 challenge,
// and bearer JWTs from a trusted issuer (how the bot's oauth and azure modes are tested).
import type { ServerResponse } from 'node:http';
import { createHmac, createPublicKey, randomBytes, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { SimClock, SimTimer } from './clock';
import { htmlPage } from './http-io';
import type { JwtTrust, SimulatorOptions } from './options';
import type { SimUser, UserDirectory } from './users';

export type PoolId = 'primary' | 'secondary';

interface IssuedToken {
  user: SimUser;
  pool: PoolId;
  expiresAt: number;
}

export type TokenGrantResult =
  | { ok: true; body: { access_token: string; token_type: 'Bearer'; expires_in: number; ms_rtc_identityscope: 'local' } }
  | { ok: false; status: number; body: { error: string }; diagnostics: string };

/** A signed-in request: who, with which token, valid until when (epoch ms). */
export interface Authenticated {
  ok: true;
  user: SimUser;
  token: string;
  expiresAt: number;
}

export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'wrongPool';

export type AuthResult = Authenticated | { ok: false; why: AuthFailure };

export class TokenService {
  private readonly tokens = new Map<string, IssuedToken>();
  /** Callbacks waiting for a token to expire (parked P-GETs), by token. */
  private readonly expiryWatchers = new Map<string, Set<() => void>>();

  constructor(
    private readonly users: UserDirectory,
    private readonly clock: SimClock,
    private readonly options: Pick<SimulatorOptions, 'tokenLifetimeSeconds' | 'jwt'>,
  ) {}

  /** `POST /WebTicket/oauthtoken` with a form body. */
  grant(pool: PoolId, contentType: string | undefined, body: string): TokenGrantResult {
    const fail = (error: string, diagnostics: string): TokenGrantResult => ({ ok: false, status: 400, body: { error }, diagnostics });
    if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return fail('invalid_request', '28021;source="sim";reason="The request body must be form-encoded."');
    }
    const form = new URLSearchParams(body);
    const grantType = form.get('grant_type');
    if (!grantType) return fail('invalid_request', '28021;source="sim";reason="grant_type is missing."');
    if (grantType !== 'password') {
      return fail('unsupported_grant_type', '28029;source="sim";reason="Authentication type not allowed."');
    }
    const scope = form.get('scope');
    if (scope !== null && scope !== 'all') return fail('invalid_scope', '28022;source="sim";reason="Only the scope all is valid."');
    const username = form.get('username');
    const password = form.get('password');
    if (!username || password === null) return fail('invalid_request', '28021;source="sim";reason="username and password are required."');
    const user = this.users.find(username);
    if (!user || !safeEqual(user.password, password)) {
      return fail('invalid_grant', '28020;source="sim";reason="No valid security token."');
    }
    const token = `cwt=${randomBytes(24).toString('base64url')}`;
    const lifetime = this.options.tokenLifetimeSeconds;
    this.tokens.set(token, { user, pool, expiresAt: this.clock.now() + this.clock.ms(lifetime) });
    return { ok: true, body: { access_token: token, token_type: 'Bearer', expires_in: lifetime, ms_rtc_identityscope: 'local' } };
  }

  /** Checks `Authorization: Bearer ...` for a request to `pool`, whose origin is the JWT audience. */
  authenticate(pool: PoolId, poolOrigin: string, authorization: string | undefined): AuthResult {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return { ok: false, why: 'missing' };
    const token = m[1];
    const issued = this.tokens.get(token);
    if (issued) {
      if (issued.pool !== pool) return { ok: false, why: 'wrongPool' };
      if (this.clock.now() >= issued.expiresAt) return { ok: false, why: 'expired' };
      return { ok: true, user: issued.user, token, expiresAt: issued.expiresAt };
    }
    if (this.options.jwt && token.split('.').length === 3) return this.verifyJwt(token, poolOrigin, this.options.jwt);
    return { ok: false, why: 'invalid' };
  }

  /** Expires every token now, or those of one user; requests waiting on them (parked P-GETs) are told at once. */
  expire(upn?: string): number {
    const expired: string[] = [];
    for (const [token, t] of this.tokens) {
      if (upn && t.user.upn !== upn.toLowerCase()) continue;
      t.expiresAt = 0;
      expired.push(token);
    }
    for (const token of expired) for (const fire of [...(this.expiryWatchers.get(token) ?? [])]) fire();
    return expired.length;
  }

  /**
   * Calls `onExpired` once when the token expires: at `expiresAt`, or at once when it is expired on demand. A parked
   * P-GET uses this to answer with the challenge the moment its token stops being valid (§2.4).
   */
  watchExpiry(auth: Authenticated, onExpired: () => void): SimTimer {
    let set = this.expiryWatchers.get(auth.token);
    if (!set) this.expiryWatchers.set(auth.token, (set = new Set()));
    const watchers = set;
    const stop = () => {
      timer.cancel();
      watchers.delete(fire);
      if (watchers.size === 0 && this.expiryWatchers.get(auth.token) === watchers) this.expiryWatchers.delete(auth.token);
    };
    const fire = () => {
      stop();
      onExpired();
    };
    const timer = this.clock.at(auth.expiresAt, fire);
    watchers.add(fire);
    return { cancel: stop };
  }

  private verifyJwt(token: string, poolOrigin: string, trust: JwtTrust): AuthResult {
    const [h, p, s] = token.split('.');
    let header: { alg?: string };
    let claims: { aud?: string | string[]; exp?: number; nbf?: number; upn?: string; preferred_username?: string; unique_name?: string };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, why: 'invalid' };
    }
    const signed = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    let valid = false;
    if (header.alg === 'HS256' && trust.hs256Secret) {
      valid = safeEqualBuffers(createHmac('sha256', trust.hs256Secret).update(signed).digest(), signature);
    } else if (header.alg === 'RS256' && trust.rs256PublicKey) {
      valid = verifySignature('sha256', signed, createPublicKey(trust.rs256PublicKey), signature);
    }
    if (!valid) return { ok: false, why: 'invalid' };
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const origin = poolOrigin.replace(/\/$/, '');
    if (!audiences.some((a) => typeof a === 'string' && a.replace(/\/(\.default)?$/, '') === origin)) return { ok: false, why: 'wrongPool' };
    const nowSec = this.clock.now() / 1000;
    // An access token without an expiry would be valid forever: real issuers always set exp, so it is required.
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return { ok: false, why: 'invalid' };
    if (nowSec >= claims.exp) return { ok: false, why: 'expired' };
    if (typeof claims.nbf === 'number' && nowSec < claims.nbf) return { ok: false, why: 'invalid' };
    const upn = claims.upn ?? claims.preferred_username ?? claims.unique_name;
    const user = upn ? this.users.find(upn) : undefined;
    return user ? { ok: true, user, token, expiresAt: claims.exp * 1000 } : { ok: false, why: 'invalid' };
  }
}

function safeEqualBuffers(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function safeEqual(a: string, b: string): boolean {
  return safeEqualBuffers(Buffer.from(a), Buffer.from(b));
}

/**
 * The answer to a request without a valid token, as IIS in front of a pool sends it: 401 with an HTML page and both
 * challenges, or (invalidTokenStatus 403, seen online) 403 with the InvalidToken warning, diagnostics 28055 and the
 * challenges. Used for refused requests, parked P-GETs whose token expires, and injected 401 faults alike.
 */
export function sendChallenge(
  res: ServerResponse,
  poolOrigin: string,
  status: 401 | 403,
  style: 'separate' | 'joined',
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const challenges = challengeHeaders(poolOrigin, style);
  if (status === 403) {
    res.writeHead(403, {
      'Content-Type': 'text/html',
      'WWW-Authenticate': challenges,
      Warning: `120 ${new URL(poolOrigin).host} "InvalidToken"`,
      'X-Ms-diagnostics': '28055;source="sim";reason="The OAuth token is invalid.";faultcode="wsse:FailedAuthentication"',
      ...extraHeaders,
    });
    res.end(htmlPage(403, 'Forbidden: Access is denied.'));
    return;
  }
  res.writeHead(401, { 'Content-Type': 'text/html', 'WWW-Authenticate': challenges, 'X-MS-Server-Fqdn': 'fe01.sim.local', ...extraHeaders });
  res.end(htmlPage(401, 'Unauthorized: Access is denied due to invalid credentials.'));
}

/** The two challenges every protected resource answers with, as two header lines or one joined header. */
export function challengeHeaders(poolOrigin: string, style: 'separate' | 'joined'): string[] {
  const bearer =
    'Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@example.com", client_id="00000004-0000-0ff1-ce00-000000000000"';
  const msrtc = `MsRtcOAuth href="${poolOrigin}/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`;
  return style === 'joined' ? [`${bearer}, ${msrtc}`] : [bearer, msrtc];
}
