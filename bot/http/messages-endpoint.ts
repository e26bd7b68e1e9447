// POST /api/messages: every request is refused as early and as cheaply as possible (headers, then the token, then
// the body with its caps), answered with a short JSON error, and logged through the rate-limited rejection log.
// Only an authenticated, well-formed activity reaches botbuilder.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
import { BodyLimits, checkActivity, checkHeaders, DEFAULT_LIMITS, isRejection, parseJsonObject, readBody, reject, Rejection } from './request-guard';
import type { RejectionLog } from './rejection-log';

export type TokenVerdict = 'valid' | 'missing' | 'invalid' | 'unavailable';

/** What the endpoint needs from the Bot Framework adapter (bot/adapter.ts). */
export interface ActivityEndpoint {
  /** True when an app id is configured: every request must carry a Bot Framework token. */
  readonly requiresToken: boolean;
  /** The check that needs only the Authorization header, done before the body is read. */
  checkToken(authorization: string | undefined): Promise<TokenVerdict>;
  /** botbuilder's complete authentication (with the activity) and the turn. */
  runActivity(authorization: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined>;
  isAuthenticationFailure(err: unknown): boolean;
}

export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}

export class MessagesEndpoint {
  constructor(
    private readonly adapter: ActivityEndpoint,
    private readonly bot: TurnRunner,
    private readonly rejections: RejectionLog,
    private readonly limits: BodyLimits = DEFAULT_LIMITS,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const accepted = await this.accept(req);
    if (isRejection(accepted)) return this.refuse(req, res, accepted);
    const authorization = req.headers.authorization ?? '';
    let invoke: InvokeResponse | undefined;
    try {
      invoke = await this.adapter.runActivity(authorization, accepted, (context) => this.bot.run(context));
    } catch (err) {
      if (this.adapter.isAuthenticationFailure(err)) return this.refuse(req, res, reject(401, 'token-rejected', 'unauthorized'));
      // Library text can describe internals: it goes to the log only, the client gets a generic answer.
      this.rejections.record('adapter-failure', { ...requestFields(req), error: err as Error }, 'error');
      return sendJson(res, 500, { error: 'internal error' });
    }
    sendJson(res, invoke?.status ?? 200, invoke?.body);
  }

  private async accept(req: IncomingMessage): Promise<Activity | Rejection> {
    if (req.method !== 'POST') return reject(405, 'method', 'only POST is accepted');
    const headerProblem = checkHeaders(req.headers, this.limits);
    if (headerProblem) return headerProblem;
    if (this.adapter.requiresToken) {
      const verdict = await this.adapter.checkToken(req.headers.authorization);
      if (verdict === 'missing') return reject(401, 'token-missing', 'unauthorized');
      if (verdict === 'invalid') return reject(401, 'token-invalid', 'unauthorized');
      if (verdict === 'unavailable') return reject(503, 'token-check-unavailable', 'the token cannot be checked right now');
    }
    const body = await readBody(req, this.limits.maxBytes);
    if (isRejection(body)) return body;
    const json = parseJsonObject(body, this.limits.maxDepth);
    if (isRejection(json)) return json;
    return checkActivity(json);
  }

  private refuse(req: IncomingMessage, res: ServerResponse, rejection: Rejection): void {
    const level = rejection.status >= 500 ? 'error' : 'warn';
    this.rejections.record(rejection.reason, { status: rejection.status, ...requestFields(req) }, level);
    if (rejection.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    if (rejection.status === 405) res.setHeader('Allow', 'POST');
    sendJson(res, rejection.status, { error: rejection.message });
  }
}

function requestFields(req: IncomingMessage): Record<string, unknown> {
  return { method: req.method, path: req.url?.slice(0, 100), remote: req.socket.remoteAddress };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
