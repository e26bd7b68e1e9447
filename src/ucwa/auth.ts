// Authentication strategies behind one interface. A token belongs to one pool origin: each origin gets its own,
// fetched from that origin's WebTicket service (password mode) or for the scope `<origin>/.default` (azure mode).
import { UcwaAuthError, UcwaHttpError } from './errors';
import type { HttpTransport } from './http';
import type { MsRtcOAuthChallenge } from './challenge';
import { assertSecureTransport } from './origins';

export interface TokenRequest {
  /** The pool origin the token is for (scheme + host + port). */
  origin: string;
  /** The MsRtcOAuth challenge that origin answered with, once known. */
  challenge?: MsRtcOAuthChallenge;
  /** The last token was refused: do not return it again. */
  forceRefresh?: boolean;
  signal?: AbortSignal;
}

export interface TokenProvider {
  /**
   * The `Authorization` header value for requests to `origin`, or undefined when this strategy needs the origin's
   * challenge first (the caller then makes the request without a token to learn it).
   */
  authorization(request: TokenRequest): Promise<string | undefined>;
}

interface CachedToken {
  header: string;
  /** Epoch ms after which the token is not used any more (a margin before the real expiry). */
  refreshAt: number;
}

/** Time source, so tests can move token lifetimes with fake timers. */
export type Now = () => number;

/**
 * Refresh at 80% of the lifetime, and never later than 5 minutes before expiry, but never before half of it: for a
 * token of 5 minutes or less the 5-minute margin alone would make it stale at once (a new grant for every request).
 */
export function refreshTime(now: number, expiresInSeconds: number): number {
  const lifetime = Math.max(0, expiresInSeconds) * 1000;
  return now + Math.max(lifetime * 0.5, Math.min(lifetime * 0.8, lifetime - 5 * 60_000));
}

class TokenCache {
  private readonly byOrigin = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly now: Now) {}

  valid(origin: string): string | undefined {
    const t = this.byOrigin.get(origin);
    return t && this.now() < t.refreshAt ? t.header : undefined;
  }

  /** One fetch per origin at a time: concurrent callers share it. */
  async fetch(origin: string, load: () => Promise<CachedToken>): Promise<string> {
    let p = this.inFlight.get(origin);
    if (!p) {
      p = load().finally(() => this.inFlight.delete(origin));
      this.inFlight.set(origin, p);
    }
    const t = await p;
    this.byOrigin.set(origin, t);
    return t.header;
  }

  drop(origin: string): void {
    this.byOrigin.delete(origin);
  }
}

export interface PasswordCredentials {
  username: string;
  password: string;
}

/** `UCWA_AUTH=password`: the WebTicket password grant, repeated before expiry (there is no refresh token on premises). */
export class PasswordTokenProvider implements TokenProvider {
  private readonly cache: TokenCache;

  constructor(
    private readonly transport: HttpTransport,
    private readonly credentials: PasswordCredentials,
    private readonly now: Now = Date.now,
    private readonly timeoutMs = 30_000,
  ) {
    this.cache = new TokenCache(now);
  }

  async authorization(request: TokenRequest): Promise<string | undefined> {
    if (request.forceRefresh) this.cache.drop(request.origin);
    const cached = this.cache.valid(request.origin);
    if (cached) return cached;
    const challenge = request.challenge;
    if (!challenge) return undefined;
    return this.cache.fetch(request.origin, () => this.grant(request.origin, challenge, request.signal));
  }

  private async grant(origin: string, challenge: MsRtcOAuthChallenge, signal?: AbortSignal): Promise<CachedToken> {
    if (!challenge.grantTypes.includes('password')) {
      throw new UcwaAuthError(`the pool at ${origin} does not offer the password grant (offers: ${challenge.grantTypes.join(', ') || 'none'})`);
    }
    const url = new URL(challenge.href, origin);
    // The password goes only to the token service of the pool that challenged us, never to another host.
    assertSecureTransport(url);
    if (url.origin !== origin) {
      throw new UcwaAuthError(`refusing to send a password to ${url.origin}: the challenge came from ${origin}`);
    }
    const form = new URLSearchParams({ grant_type: 'password', username: this.credentials.username, password: this.credentials.password });
    const started = this.now();
    const res = await this.transport.send({
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8', Accept: 'application/json' },
      body: form.toString(),
      timeoutMs: this.timeoutMs,
      signal,
    });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      // Handled below: a non-JSON answer is a failed sign-in.
    }
    if (res.status !== 200 || typeof json.access_token !== 'string') {
      const code = typeof json.error === 'string' ? json.error : undefined;
      if (res.status >= 500 || res.status === 429) throw new UcwaHttpError('POST', url.pathname, res.status, undefined, undefined);
      throw new UcwaAuthError(`sign-in to ${origin} refused (${res.status}${code ? ` ${code}` : ''})`, code);
    }
    const tokenType = typeof json.token_type === 'string' ? json.token_type : 'Bearer';
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? 3600);
    return { header: `${tokenType} ${json.access_token}`, refreshAt: refreshTime(started, Number.isFinite(expiresIn) ? expiresIn : 3600) };
  }
}

/** The part of @azure/identity's TokenCredential the client uses. */
export interface AccessTokenCredential {
  getToken(scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** `UCWA_AUTH=azure`: a token for `<pool origin>/.default` from an Azure credential. */
export class AzureCredentialTokenProvider implements TokenProvider {
  private readonly cache: TokenCache;

  constructor(
    private readonly credential: AccessTokenCredential,
    private readonly now: Now = Date.now,
  ) {
    this.cache = new TokenCache(now);
  }

  async authorization(request: TokenRequest): Promise<string> {
    if (request.forceRefresh) this.cache.drop(request.origin);
    return this.cache.valid(request.origin) ?? this.cache.fetch(request.origin, async () => {
      const token = await this.credential.getToken(`${request.origin}/.default`, { abortSignal: request.signal });
      if (!token) throw new UcwaAuthError(`the Azure credential returned no token for ${request.origin}`);
      const seconds = (token.expiresOnTimestamp - this.now()) / 1000;
      return { header: `Bearer ${token.token}`, refreshAt: refreshTime(this.now(), seconds) };
    });
  }
}

/** A token function supplied by the caller (the bot's per-user OAuth sign-in). */
export class CallbackTokenProvider implements TokenProvider {
  constructor(private readonly getToken: (origin: string, forceRefresh: boolean) => Promise<string | undefined>) {}

  async authorization(request: TokenRequest): Promise<string | undefined> {
    const token = await this.getToken(request.origin, request.forceRefresh ?? false);
    if (!token) throw new UcwaAuthError(`no token available for ${request.origin}: the user must sign in again`);
    return /^bearer /i.test(token) ? token : `Bearer ${token}`;
  }
}
