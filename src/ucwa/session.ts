// Authenticated UCWA requests for one account: resolves hrefs against the trusted origins, attaches the token of
// the target origin, learns challenges from 401 answers, and on 401 or 403-InvalidToken fetches a new token and
// retries the same URL once.
import type { TokenProvider } from './auth';
import { findMsRtcOAuth, MsRtcOAuthChallenge, parseWwwAuthenticate } from './challenge';
import { parseRetryAfter } from './backoff';
import { UcwaAuthError, UcwaHttpError } from './errors';
import type { HttpResponse, HttpTransport } from './http';
import { TrustedOrigins } from './origins';
import { parseEvents, parseRepresentation, parseUcwaError, UcwaEventsBody, UcwaResource } from './resource';

export type Representation = 'json' | 'xml';

export const ACCEPT_HEADERS: Record<Representation, string> = {
  json: 'application/json',
  xml: 'application/vnd.microsoft.com.ucwa+xml',
};

export interface RequestOptions {
  /** The resource the href came from (relative hrefs resolve against it). */
  base?: string | URL;
  /** A JSON body (serialised here) or a raw string with `contentType`. */
  json?: unknown;
  body?: string;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Send without a token (discovery root). */
  anonymous?: boolean;
}

export interface UcwaResponse extends HttpResponse {
  url: URL;
}

export interface SessionOptions {
  transport: HttpTransport;
  tokens: TokenProvider;
  origins?: TrustedOrigins;
  representation?: Representation;
  defaultTimeoutMs?: number;
}

export class UcwaSession {
  readonly origins: TrustedOrigins;
  readonly representation: Representation;
  private readonly transport: HttpTransport;
  private readonly tokens: TokenProvider;
  private readonly challenges = new Map<string, MsRtcOAuthChallenge>();
  private readonly defaultTimeoutMs: number;

  constructor(options: SessionOptions) {
    this.transport = options.transport;
    this.tokens = options.tokens;
    this.origins = options.origins ?? new TrustedOrigins();
    this.representation = options.representation ?? 'json';
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  }

  /** Sends a request; returns any status (callers decide), throws only for network, origin and sign-in failures. */
  async send(method: string, href: string, options: RequestOptions = {}): Promise<UcwaResponse> {
    const url = options.base === undefined && /^https?:/i.test(href) ? this.origins.resolve(href, href) : this.origins.resolve(href, options.base ?? href);
    const origin = url.origin;
    let body = options.body;
    let contentType = options.contentType;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      contentType = 'application/json';
    }
    const attempt = async (authorization: string | undefined): Promise<UcwaResponse> => {
      const headers: Record<string, string> = { Accept: ACCEPT_HEADERS[this.representation] };
      if (authorization) headers.Authorization = authorization;
      if (contentType) headers['Content-Type'] = contentType;
      const res = await this.transport.send({ method, url, headers, body, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs, signal: options.signal });
      return { ...res, url };
    };
    if (options.anonymous) return attempt(undefined);

    let authorization = await this.tokens.authorization({ origin, challenge: this.challenges.get(origin), signal: options.signal });
    let res = await attempt(authorization);
    if (!isAuthFailure(res)) return res;
    // Learn (or re-learn) how this origin wants to be authenticated, then fetch a new token and retry once.
    const challenge = findMsRtcOAuth(parseWwwAuthenticate(res.headers['www-authenticate']));
    if (challenge) this.challenges.set(origin, challenge);
    authorization = await this.tokens.authorization({ origin, challenge: this.challenges.get(origin), forceRefresh: authorization !== undefined, signal: options.signal });
    if (!authorization) throw new UcwaAuthError(`${origin} asked for authentication but offered no usable challenge`);
    res = await attempt(authorization);
    if (isAuthFailure(res)) throw new UcwaAuthError(`${origin} refused a fresh token for ${method} ${url.pathname} (${res.status})`);
    return res;
  }

  /** GET a resource; non-2xx becomes UcwaHttpError. */
  async getResource(href: string, options: RequestOptions = {}): Promise<{ resource: UcwaResource; url: URL }> {
    const res = await this.send('GET', href, options);
    ensureOk('GET', res);
    return { resource: parseRepresentation(res.body, contentTypeOf(res)), url: res.url };
  }

  async getEvents(href: string, options: RequestOptions = {}): Promise<{ events: UcwaEventsBody; url: URL }> {
    const res = await this.send('GET', href, options);
    ensureOk('GET', res);
    return { events: parseEvents(res.body, contentTypeOf(res)), url: res.url };
  }

  /** POST; 2xx returns the response, non-2xx becomes UcwaHttpError. */
  async post(href: string, options: RequestOptions = {}): Promise<UcwaResponse> {
    const res = await this.send('POST', href, options);
    ensureOk('POST', res);
    return res;
  }
}

export function contentTypeOf(res: HttpResponse): string | undefined {
  const ct = res.headers['content-type'];
  return Array.isArray(ct) ? ct[0] : ct;
}

/** 401, or 403 that says the token is invalid (SfB Online style: Warning InvalidToken / diagnostics 28055). */
export function isAuthFailure(res: HttpResponse): boolean {
  if (res.status === 401) return true;
  if (res.status !== 403) return false;
  const warning = String(res.headers.warning ?? '');
  const diag = String(res.headers['x-ms-diagnostics'] ?? '');
  return /InvalidToken/i.test(warning) || /^28055\b/.test(diag);
}

export function retryAfterSeconds(res: HttpResponse): number | undefined {
  return parseRetryAfter(res.headers['retry-after']);
}

export function ensureOk(method: string, res: UcwaResponse): void {
  if (res.status >= 200 && res.status < 300) return;
  throw new UcwaHttpError(method, res.url.pathname, res.status, parseUcwaError(res.body, contentTypeOf(res)), retryAfterSeconds(res));
}
