// The UCWA simulator: one process, one HTTP server per pool (the primary pool also serves the discovery root at `/`
// and the admin API), composed from the pieces in this folder.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminRoutes } from './admin-routes';
import { ApplicationRegistry } from './applications';
import { SimClock } from './clock';
import { FaultAction, FaultInjector, reasonForStatus } from './faults';
import { BodyTooLargeError, htmlPage, readBody, sendError } from './http-io';
import { InvitationService } from './invitations';
import { DEFAULT_OPTIONS, SimulatorOptions } from './options';
import { PoolInfo, PoolRoutes, RouteContext } from './pool-routes';
import { contentTypeOf, negotiate } from './representation';
import { redactBody, redactPath, redactSecrets, RequestLog } from './request-log';
import { PoolId, sendChallenge, TokenService } from './tokens';
import { demoUsers, UserDirectory } from './users';

export class UcwaSimulator {
  readonly options: SimulatorOptions;
  readonly clock: SimClock;
  readonly users: UserDirectory;
  readonly tokens: TokenService;
  readonly applications: ApplicationRegistry;
  readonly invitations: InvitationService;
  readonly faults = new FaultInjector();
  readonly requests: RequestLog;
  private readonly routes: PoolRoutes;
  private readonly admin: AdminRoutes;
  private readonly servers = new Map<PoolId, Server>();
  private readonly poolInfo = new Map<PoolId, PoolInfo>();

  constructor(options: Partial<SimulatorOptions> = {}) {
    this.options = { ...DEFAULT_OPTIONS, users: demoUsers(), ...options };
    this.clock = new SimClock(this.options.timeScale);
    this.users = new UserDirectory(this.options.users);
    this.tokens = new TokenService(this.users, this.clock, this.options);
    this.applications = new ApplicationRegistry(this.clock, this.options, (app) => this.invitations.applicationGone(app));
    this.invitations = new InvitationService(this.users, this.applications, this.clock, this.options);
    this.requests = new RequestLog(this.options.requestLogSize);
    this.routes = new PoolRoutes(this.options, this.tokens, this.applications, this.invitations, () => ({
      primary: this.pool('primary'),
      secondary: this.poolInfo.get('secondary'),
    }));
    this.admin = new AdminRoutes(this.options, this.users, this.tokens, this.applications, this.invitations, this.faults, this.requests);
  }

  /** The discovery URL a client starts from (the primary pool's root). */
  get discoveryUrl(): string {
    return `${this.pool('primary').origin}/`;
  }

  get origin(): string {
    return this.pool('primary').origin;
  }

  get secondaryOrigin(): string | undefined {
    return this.poolInfo.get('secondary')?.origin;
  }

  private pool(id: PoolId): PoolInfo {
    const p = this.poolInfo.get(id);
    if (!p) throw new Error('the simulator is not started');
    return p;
  }

  async start(): Promise<this> {
    await this.listen('primary', this.options.port);
    if (this.options.secondaryPool) await this.listen('secondary', 0);
    return this;
  }

  private listen(id: PoolId, port: number): Promise<void> {
    const server = createServer((req, res) => void this.dispatch(id, req, res));
    // Parked P-GETs are held up to 30 min: no server-side socket timeouts, and many keep-alive sockets per client.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 120_000;
    server.maxHeadersCount = 200;
    this.servers.set(id, server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        const addr = server.address() as AddressInfo;
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        this.poolInfo.set(id, { id, origin: `http://${host}:${addr.port}` });
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.applications.closeAll();
    await Promise.all(
      [...this.servers.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers.clear();
  }

  private async dispatch(poolId: PoolId, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pool = this.pool(poolId);
    const url = new URL(req.url ?? '/', pool.origin);
    const format = negotiate(req.headers.accept);
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) sendError(res, format, 413, { code: 'EntityTooLarge', message: 'The request body is too large.' });
      return;
    }
    const isAdmin = url.pathname.startsWith('/_sim/');
    const entry = isAdmin
      ? undefined
      : this.requests.add({
          pool: poolId,
          method: req.method ?? 'GET',
          path: redactPath(url.pathname + url.search),
          accept: redactSecrets(req.headers.accept),
          contentType: redactSecrets(req.headers['content-type']),
          auth: !req.headers.authorization ? 'none' : /^bearer /i.test(req.headers.authorization) ? 'bearer' : 'other',
          // The token endpoint's body is the password grant: never kept, however the path is spelt.
          body: /\/oauthtoken\/*$/i.test(url.pathname) ? undefined : redactBody(body, req.headers['content-type']).slice(0, 2000) || undefined,
        });
    if (entry) res.on('finish', () => (entry.status = res.statusCode));
    const ctx: RouteContext = { req, res, url, body, format, pool, setUser: (upn) => entry && (entry.user = upn) };
    try {
      if (isAdmin) {
        if (poolId !== 'primary') return sendError(res, 'json', 404, { code: 'NotFound', message: 'The admin API is on the primary pool.' });
        return this.admin.handle(ctx);
      }
      const fault = this.faults.take(req.method ?? 'GET', url.pathname + url.search);
      if (fault && (await this.applyFault(fault, ctx))) return;
      this.routes.handle(ctx);
    } catch (err) {
      sendError(res, format, 500, { code: 'ServiceFailure', message: `Simulator error: ${(err as Error).message}` });
    }
  }

  /** Applies an injected fault; returns true when the request is finished with it. */
  private async applyFault(fault: FaultAction, ctx: RouteContext): Promise<boolean> {
    const { res, format } = ctx;
    switch (fault.kind) {
      case 'status': {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
        // A 401 comes from IIS's authentication layer, never as a UCWA error: HTML page and both challenges.
        if (fault.status === 401) {
          sendChallenge(res, ctx.pool.origin, 401, this.options.challengeStyle, headers);
          return true;
        }
        if (fault.status === 502 || fault.status === 503 || fault.status === 504) {
          // Proxies and IIS answer these with HTML pages, not UCWA error bodies.
          if (!fault.code) {
            res.writeHead(fault.status, { 'Content-Type': 'text/html', ...headers });
            res.end(htmlPage(fault.status, 'Service Unavailable'));
            return true;
          }
        }
        sendError(res, format, fault.status, reasonForStatus(fault.status, fault.code, fault.subcode), headers);
        return true;
      }
      case 'reset':
        // Headers and half a body (in the representation the client asked for), then the connection dies.
        res.writeHead(200, { 'Content-Type': contentTypeOf(format), 'Content-Length': '4096' });
        res.write(format === 'xml' ? '<?xml version="1.0" encoding="utf-8"?><events href="/ucwa/oauth/v1/appl' : '{"_links":{"self":{"hr');
        setImmediate(() => ctx.req.socket.destroy());
        return true;
      case 'delay':
        await new Promise((r) => this.clock.after(fault.seconds, () => r(undefined)));
        return false;
      case 'body':
        if (fault.body === 'html') {
          res.writeHead(fault.status ?? 200, { 'Content-Type': 'text/html' });
          res.end(htmlPage(fault.status ?? 200, 'Unexpected page'));
        } else if (fault.body === 'malformed') {
          res.writeHead(fault.status ?? 200, { 'Content-Type': contentTypeOf(format) });
          res.end(format === 'xml' ? '<events><sender rel="communication"><started' : '{"_links":{"next":{"href":');
        } else {
          res.writeHead(fault.status ?? 200, { 'Content-Type': contentTypeOf(format) });
          res.end();
        }
        return true;
    }
  }
}
