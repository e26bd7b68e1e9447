// A fake Bot Framework token service over real HTTP, for the bot's oauth mode: the endpoints botbuilder's
// UserTokenClient calls (botframework-connector lib/tokenApi/operations): GET api/usertoken/GetToken,
// POST api/usertoken/GetAadTokens, DELETE api/usertoken/SignOut, POST api/usertoken/exchange and
// GET api/botsignin/GetSignInResource. Tokens are HS256 JWTs (aud = the resource, upn claim) that the UCWA simulator
// trusts when it is started with the same secret. Every call is recorded (without tokens).
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServiceCall {
  method: string;
  /** e.g. `/api/usertoken/GetToken` */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status: number;
}

export interface FakeTokenServiceOptions {
  /** The simulator's `jwt.hs256Secret`. */
  secret: string;
  /** Teams user id (`29:...`) -> UPN, the `upn` claim of the user's tokens. */
  users: Record<string, string>;
  /** The resource of the connection's own token (GetToken): the scope configured on an Entra ID v2 connection. */
  connectionResource: string;
  /** The Teams SSO token that `exchange` accepts. */
  ssoToken?: string;
}

export class FakeTokenService {
  readonly calls: TokenServiceCall[] = [];
  private readonly signedIn = new Set<string>();
  /** Magic code -> user id, issued when a user "completes the sign-in page". */
  private readonly codes = new Map<string, string>();
  /** Tokens for these users are signed with another secret: the pool refuses them. */
  private readonly forged = new Set<string>();

  private constructor(
    private readonly server: http.Server,
    private readonly options: FakeTokenServiceOptions,
  ) {}

  static async start(options: FakeTokenServiceOptions): Promise<FakeTokenService> {
    const server = http.createServer();
    const service = new FakeTokenService(server, options);
    server.on('request', (req, res) => service.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What the sign-in page does when the user signs in: the token service now holds a token behind this code. */
  completeSignIn(userId: string): string {
    const code = String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));
    this.codes.set(code, userId);
    return code;
  }

  signIn(userId: string): void {
    this.signedIn.add(userId);
  }

  /** The user's token is gone (revoked, expired refresh token): GetToken answers 404. */
  forget(userId: string): void {
    this.signedIn.delete(userId);
  }

  /** Tokens are still issued, but the pool refuses them (a bad signature). */
  forge(userId: string, on = true): void {
    if (on) this.forged.add(userId);
    else this.forged.delete(userId);
  }

  isSignedIn(userId: string): boolean {
    return this.signedIn.has(userId);
  }

  /** Every token this service ever issued, to check none leaked into logs or messages. */
  readonly issued: string[] = [];

  callsTo(path: string): TokenServiceCall[] {
    return this.calls.filter((c) => c.path.toLowerCase() === path.toLowerCase());
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private jwt(userId: string, resource: string): string {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ aud: resource, upn: this.options.users[userId], iat: now, exp: now + 3600 })}`;
    const secret = this.forged.has(userId) ? 'not-the-trusted-secret' : this.options.secret;
    const token = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    this.issued.push(token);
    return token;
  }

  private tokenResponse(userId: string, connectionName: string, channelId: string, resource: string) {
    return { channelId, connectionName, token: this.jwt(userId, resource), expiration: new Date(Date.now() + 3600_000).toISOString() };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const query = Object.fromEntries(url.searchParams);
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const call: TokenServiceCall = { method: req.method ?? '', path: url.pathname, query, body, status: 0 };
      const reply = (status: number, json?: unknown) => {
        call.status = status;
        this.calls.push(call);
        res.writeHead(status, json === undefined ? {} : { 'Content-Type': 'application/json' });
        res.end(json === undefined ? undefined : JSON.stringify(json));
      };
      const { userId = '', connectionName = '', channelId = '' } = query;
      const route = `${req.method} ${url.pathname.toLowerCase()}`;
      switch (route) {
        case 'GET /api/usertoken/gettoken': {
          if (query.code) {
            const owner = this.codes.get(query.code);
            if (owner !== userId) return reply(404);
            this.codes.delete(query.code);
            this.signedIn.add(userId);
          }
          if (!this.signedIn.has(userId)) return reply(404);
          return reply(200, this.tokenResponse(userId, connectionName, channelId, this.options.connectionResource));
        }
        case 'POST /api/usertoken/getaadtokens': {
          if (!this.signedIn.has(userId)) return reply(404, { error: { code: 'NotFound', message: 'no token for the user' } });
          const urls = ((body as { resourceUrls?: string[] })?.resourceUrls ?? []).filter((u) => typeof u === 'string');
          return reply(200, Object.fromEntries(urls.map((u) => [u, this.tokenResponse(userId, connectionName, channelId, u)])));
        }
        case 'DELETE /api/usertoken/signout':
          this.signedIn.delete(userId);
          return reply(200, {});
        case 'POST /api/usertoken/exchange': {
          const token = (body as { token?: string })?.token;
          if (!this.options.ssoToken || token !== this.options.ssoToken) return reply(404);
          this.signedIn.add(userId);
          return reply(200, this.tokenResponse(userId, connectionName, channelId, this.options.connectionResource));
        }
        case 'GET /api/botsignin/getsigninresource': {
          let state: { connectionName?: string; conversation?: { user?: { id?: string } }; msAppId?: string };
          try {
            state = JSON.parse(Buffer.from(query.state ?? '', 'base64').toString('utf8'));
          } catch {
            return reply(400, { error: { code: 'BadRequest', message: 'state is not base64 JSON' } });
          }
          call.body = state;
          const user = state.conversation?.user?.id ?? '';
          return reply(200, {
            signInLink: `${this.url}/signin?connection=${encodeURIComponent(state.connectionName ?? '')}&user=${encodeURIComponent(user)}`,
            tokenExchangeResource: { id: `exchange-${randomBytes(4).toString('hex')}`, uri: 'api://bot.example.com/sfb', providerId: 'aadv2' },
          });
        }
        default:
          return reply(404, { error: { code: 'NotFound', message: `no route ${route}` } });
      }
    });
  }
}
