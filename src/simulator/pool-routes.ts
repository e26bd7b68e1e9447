// The UCWA surface of one pool: discovery root, user resource, WebTicket, applications and everything under them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { APPLICATIONS_PATH, ApplicationRegistry, KNOWN_MODALITIES, SimApplication } from './applications';
import { InputError, field, parseInput, sendError, sendEvents, sendJson, sendNoContent, sendResource } from './http-io';
import type { InvitationService } from './invitations';
import { handleMessaging } from './messaging-routes';
import type { SimulatorOptions } from './options';
import { Format, SimResource } from './representation';
import type { SimTimer } from './clock';
import type { PGetResult } from './event-channel';
import { Authenticated, AuthFailure, PoolId, sendChallenge, TokenService } from './tokens';
import type { SimUser } from './users';

export const ROOT_PATH = '/Autodiscover/AutodiscoverService.svc/root';
export const USER_PATH = `${ROOT_PATH}/oauth/user`;
export const XFRAME_PATH = '/Autodiscover/XFrame/XFrame.html';
export const WEBTICKET_PATH = '/WebTicket/oauthtoken';

/** CallDeclineReason values (CallDeclineReason_ref). */
const DECLINE_REASONS = ['Local', 'Global', 'Unknown', 'MediaAllocationFailure', 'EncryptionMismatch', 'IPv6NotSupported', 'MediaConnectivityFailure', 'CodecMismatch', 'UnsupportedMedia', 'InvalidMediaOffer', 'InsufficientBandwidth', 'InsufficientBandwidthRerouteOverPstn'];

export interface PoolInfo {
  id: PoolId;
  origin: string;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: string;
  format: Format;
  pool: PoolInfo;
  /** Set once the request is authenticated, for the request log. */
  setUser(upn: string): void;
}

export class PoolRoutes {
  constructor(
    private readonly options: SimulatorOptions,
    private readonly tokens: TokenService,
    private readonly apps: ApplicationRegistry,
    private readonly invitations: InvitationService,
    private readonly pools: () => { primary: PoolInfo; secondary?: PoolInfo },
  ) {}

  handle(ctx: RouteContext): void {
    const path = ctx.url.pathname;
    const method = ctx.req.method ?? 'GET';
    if ((path === '/' || path.toLowerCase() === ROOT_PATH.toLowerCase()) && method === 'GET') return this.root(ctx);
    if (path.toLowerCase() === USER_PATH.toLowerCase() && method === 'GET') return this.user(ctx);
    if (path === XFRAME_PATH && method === 'GET') {
      ctx.res.writeHead(200, { 'Content-Type': 'text/html' });
      ctx.res.end('<!DOCTYPE html><html><head><title>XFrame</title></head><body></body></html>');
      return;
    }
    // IIS matches paths case-insensitively.
    if (path.toLowerCase() === WEBTICKET_PATH.toLowerCase()) {
      if (method !== 'POST') return sendError(ctx.res, ctx.format, 405, { code: 'MethodNotAllowed', message: 'Use POST.' });
      return this.webTicket(ctx);
    }
    if (path === APPLICATIONS_PATH || path.startsWith(`${APPLICATIONS_PATH}/`)) return this.applications(ctx);
    sendError(ctx.res, ctx.format, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' });
  }

  // ------------------------------------------------------------------------------------------------ discovery

  private root(ctx: RouteContext): void {
    const { primary, secondary } = this.pools();
    const here = ctx.pool;
    let links: SimResource['links'];
    if (here.id === 'primary' && this.options.rootRedirect && secondary) {
      // The observed case (pyucwa #3): a root with nothing but `redirect`, so clients cannot lean on user or xframe.
      links = { redirect: { href: `${secondary.origin}${ROOT_PATH}` } };
    } else {
      links = { user: { href: `${here.origin}${USER_PATH}` }, xframe: { href: `${here.origin}${XFRAME_PATH}` } };
    }
    void primary;
    sendResource(ctx.res, ctx.format, 200, { rel: 'root', href: `${here.origin}${ROOT_PATH}`, links });
  }

  private user(ctx: RouteContext): void {
    const user = this.authenticate(ctx)?.user;
    if (!user) return;
    const here = ctx.pool;
    const home = user.pool === 'secondary' ? this.pools().secondary : this.pools().primary;
    const links: SimResource['links'] = { xframe: { href: `${here.origin}${XFRAME_PATH}` } };
    if (home && home.id !== here.id) {
      // Homed elsewhere: point at that pool's root; the client authenticates there with a token of that pool.
      links.redirect = { href: `${home.origin}${ROOT_PATH}` };
    } else {
      links.applications = { href: `${here.origin}${APPLICATIONS_PATH}` };
    }
    sendResource(ctx.res, ctx.format, 200, { rel: 'user', href: `${here.origin}${USER_PATH}`, links });
  }

  private webTicket(ctx: RouteContext): void {
    const result = this.tokens.grant(ctx.pool.id, ctx.req.headers['content-type'], ctx.body);
    if (result.ok) {
      ctx.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      ctx.res.end(JSON.stringify(result.body));
      return;
    }
    ctx.res.writeHead(result.status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Ms-diagnostics': result.diagnostics, 'Cache-Control': 'no-store' });
    ctx.res.end(JSON.stringify(result.body));
  }

  /** Returns the signed-in request, or answers the challenge and returns undefined. */
  private authenticate(ctx: RouteContext): Authenticated | undefined {
    const auth = this.tokens.authenticate(ctx.pool.id, ctx.pool.origin, ctx.req.headers.authorization);
    if (auth.ok) {
      ctx.setUser(auth.user.upn);
      return auth;
    }
    sendChallenge(ctx.res, ctx.pool.origin, this.challengeStatus(auth.why), this.options.challengeStyle);
    return undefined;
  }

  private challengeStatus(why: AuthFailure): 401 | 403 {
    return this.options.invalidTokenStatus === 403 && (why === 'expired' || why === 'invalid') ? 403 : 401;
  }

  // ---------------------------------------------------------------------------------------------- applications

  private applications(ctx: RouteContext): void {
    const auth = this.authenticate(ctx);
    if (!auth) return;
    const user = auth.user;
    const method = ctx.req.method ?? 'GET';
    const rest = ctx.url.pathname.slice(APPLICATIONS_PATH.length);
    if (rest === '' || rest === '/') {
      if (method === 'POST') return this.createApplication(ctx, user);
      if (method === 'GET') {
        const mine = this.apps.forUser(user.upn).filter((a) => a.pool === ctx.pool.id);
        return sendResource(ctx.res, ctx.format, 200, { rel: 'applications', href: APPLICATIONS_PATH, embedded: { application: mine.map((a) => a.resource()) } });
      }
      return this.methodNotAllowed(ctx);
    }
    const m = /^\/([^/]+)(\/.*)?$/.exec(rest);
    const id = m?.[1] ?? '';
    const sub = m?.[2] ?? '';
    const app = this.apps.get(id);
    if (!app || app.pool !== ctx.pool.id) {
      const gone = this.apps.goneState(id);
      if (gone) return sendError(ctx.res, ctx.format, gone.status, gone.reason);
      return sendError(ctx.res, ctx.format, 404, { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'The application does not exist.' });
    }
    if (app.user !== user) return sendError(ctx.res, ctx.format, 403, { code: 'Forbidden', message: 'The application belongs to another user.' });
    this.applicationResource(ctx, app, sub, method, auth);
  }

  private createApplication(ctx: RouteContext, user: SimUser): void {
    const home = user.pool;
    if (home !== ctx.pool.id) {
      return sendError(ctx.res, ctx.format, 403, { code: 'Forbidden', message: 'The user is homed in another pool.' });
    }
    let input: Record<string, unknown>;
    try {
      input = parseInput(ctx.req.headers['content-type'], ctx.body);
    } catch (err) {
      return sendError(ctx.res, ctx.format, 400, { code: 'BadRequest', subcode: 'DeserializationFailure', message: (err as Error).message });
    }
    const missing: string[] = [];
    const values: Record<string, string> = {};
    for (const name of ['userAgent', 'endpointId', 'culture']) {
      const v = field(input, name);
      if (typeof v !== 'string' || v === '' || v.length > 100) missing.push(name);
      else values[name] = v;
    }
    if (missing.length) {
      return sendError(ctx.res, ctx.format, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: `Missing or invalid: ${missing.join(', ')}.` });
    }
    const type = field(input, 'type');
    const app = this.apps.create(user, ctx.pool.id, { userAgent: values.userAgent, endpointId: values.endpointId, culture: values.culture, type: typeof type === 'string' ? type : undefined });
    sendResource(ctx.res, ctx.format, 201, app.resource(), {
      ETag: `"${randomBytes(4).readUInt32BE()}"`,
      Location: app.base,
      'Set-Cookie': `cwt_ucwa=${randomBytes(12).toString('base64url')}; path=${app.base}/photos; secure; HttpOnly`,
    });
  }

  private applicationResource(ctx: RouteContext, app: SimApplication, sub: string, method: string, auth: Authenticated): void {
    const { res, format } = ctx;
    const only = (m: string, fn: () => void) => (method === m ? fn() : this.methodNotAllowed(ctx));
    switch (sub) {
      case '':
        if (method === 'GET') return sendResource(res, format, 200, app.resource());
        if (method === 'DELETE') {
          this.apps.delete(app);
          return sendNoContent(res);
        }
        return this.methodNotAllowed(ctx);
      case '/events':
        return only('GET', () => this.events(ctx, app, auth));
      case '/me':
        return only('GET', () => sendResource(res, format, 200, app.meResource()));
      case '/me/makeMeAvailable':
        return only('POST', () => this.makeMeAvailable(ctx, app));
      case '/me/reportMyActivity':
        return only('POST', () => {
          if (!app.madeAvailable) return sendError(res, format, 409, { code: 'Conflict', subcode: 'MakeMeAvailableRequired', message: 'makeMeAvailable must be called first.' });
          app.reportActivity();
          sendNoContent(res);
        });
      case '/me/presence':
        return only('GET', () => sendResource(res, format, 200, { rel: 'presence', href: `${app.meHref}/presence`, props: { availability: app.madeAvailable ? 'Online' : 'Offline' } }));
      case '/communication':
        return only('GET', () => sendResource(res, format, 200, app.communicationResource()));
      case '/communication/conversations':
        return only('GET', () =>
          sendResource(res, format, 200, { rel: 'conversations', href: `${app.communicationHref}/conversations`, embedded: { conversation: this.invitations.activeConversations(app) } }),
        );
    }
    const inv = /^\/communication\/(messagingInvitations|audioVideoInvitations|onlineMeetingInvitations)\/([^/]+)(\/[A-Za-z]+)?$/.exec(sub);
    if (inv) return this.invitation(ctx, app, `${app.base}/communication/${inv[1]}/${inv[2]}`, inv[3]?.slice(1), method);
    const messaging = /^\/communication\/conversations\/([^/]+)\/messaging(?:\/([A-Za-z]+))?$/.exec(sub);
    if (messaging) return handleMessaging(ctx, this.invitations, app, messaging[1], messaging[2]);
    const conv = /^\/communication\/conversations\/([^/]+)$/.exec(sub);
    if (conv) {
      const found = this.invitations.activeConversations(app).find((c) => c.href.endsWith(`/${conv[1]}`));
      if (found && method === 'GET') return sendResource(res, format, 200, found);
    }
    sendError(res, format, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' });
  }

  private makeMeAvailable(ctx: RouteContext, app: SimApplication): void {
    const { res, format } = ctx;
    if (app.madeAvailable) return sendError(res, format, 409, { code: 'Conflict', subcode: 'AlreadyExists', message: 'Multiple invocations of this operation are not valid.' });
    let input: Record<string, unknown>;
    try {
      input = parseInput(ctx.req.headers['content-type'], ctx.body);
    } catch (err) {
      return sendError(res, format, 400, { code: 'BadRequest', subcode: 'DeserializationFailure', message: (err as Error).message });
    }
    const raw = field(input, 'SupportedModalities') ?? ['Messaging'];
    const modalities = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    const unknown = modalities.filter((m) => !KNOWN_MODALITIES.includes(m));
    if (unknown.length) return sendError(res, format, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: `Unknown modality: ${unknown.join(', ')}.` });
    if (this.options.refuseAudioVideoModalities && modalities.some((m) => m !== 'Messaging' && m !== 'PhoneAudio')) {
      return sendError(res, format, 403, { code: 'Forbidden', message: 'The application is attempting to use modalities other than Messaging and Phone Audio.' });
    }
    const formats = field(input, 'SupportedMessageFormats');
    const phone = field(input, 'phoneNumber');
    app.madeAvailable = true;
    app.modalities = modalities;
    app.messageFormats = Array.isArray(formats) ? formats.map(String) : ['Plain'];
    app.phoneNumber = typeof phone === 'string' ? phone : undefined;
    app.reportActivity();
    // Presence and communication changes are medium priority: they wait for the aggregation window.
    const comm = { rel: 'communication', href: app.communicationHref };
    const me = { rel: 'me', href: app.meHref };
    app.channel.enqueue(me, { type: 'updated', link: { rel: 'me', href: app.meHref }, embedded: app.meResource() }, 'medium');
    app.channel.enqueue(me, { type: 'added', link: { rel: 'presence', href: `${app.meHref}/presence` } }, 'medium');
    app.channel.enqueue(comm, { type: 'updated', link: { rel: 'communication', href: app.communicationHref }, embedded: app.communicationResource() }, 'medium');
    sendNoContent(res);
  }

  private events(ctx: RouteContext, app: SimApplication, auth: Authenticated): void {
    const ackRaw = ctx.url.searchParams.get('ack');
    const ack = ackRaw !== null && /^\d+$/.test(ackRaw) ? Number(ackRaw) : -1;
    let answered = false;
    // Set once the P-GET is parked (below); read by the callbacks that end it.
    const expiry: { watch?: SimTimer } = {};
    const request = {
      ack,
      query: ctx.url.searchParams,
      respond: (r: PGetResult) => {
        if (answered) return;
        answered = true;
        expiry.watch?.cancel();
        if (r.kind === 'events') sendEvents(ctx.res, ctx.format, r.body);
        else sendError(ctx.res, ctx.format, r.status, r.reason, r.headers);
      },
    };
    // A client that gives up while parked must not take a batch with it.
    ctx.res.on('close', () => {
      expiry.watch?.cancel();
      if (!answered) {
        answered = true;
        app.channel.abandon(request);
      }
    });
    app.channel.handle(request);
    if (answered) return;
    // Parked. When its token expires (in time, or by the expireTokens fault) the P-GET gets the challenge like any
    // other request would (§2.4); the queued events stay for the retry of the same URL with a new token.
    expiry.watch = this.tokens.watchExpiry(auth, () => {
      if (answered) return;
      answered = true;
      app.channel.abandon(request);
      sendChallenge(ctx.res, ctx.pool.origin, this.challengeStatus('expired'), this.options.challengeStyle);
    });
  }

  private invitation(ctx: RouteContext, app: SimApplication, href: string, action: string | undefined, method: string): void {
    const { res, format } = ctx;
    const ep = this.invitations.endpointAt(href);
    if (!ep || ep.app !== app) return sendError(res, format, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The invitation does not exist.' });
    if (!action) {
      if (method !== 'GET') return this.methodNotAllowed(ctx);
      const completed = ep.state !== 'ringing' && ep.state !== 'inLobby';
      if (completed && this.options.completedInvitations === 'removed') {
        return sendError(res, format, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The invitation does not exist.' });
      }
      return sendResource(res, format, 200, this.invitations.invitationResource(ep, true));
    }
    if (method !== 'POST') return this.methodNotAllowed(ctx);
    if (action !== 'accept' && action !== 'decline' && action !== 'acceptWithPhoneAudio' && action !== 'acceptWithAnswer') {
      return sendError(res, format, 404, { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' });
    }
    if (action === 'acceptWithAnswer' && ep.invitation.spec.kind === 'audioVideo') {
      // The audio/video invitation advertises acceptWithAnswer: it takes an SDP answer as the body (acceptWithAnswer_ref).
      const ct = (ctx.req.headers['content-type'] ?? '').toLowerCase();
      if (!ct.startsWith('application/sdp')) return sendError(res, format, 415, { code: 'UnsupportedMediaType', message: 'The answer must be sent as application/sdp.' });
      if (ctx.body.trim() === '') return sendError(res, format, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'The SDP answer is missing.' });
    }
    let reason: string | undefined;
    if (action === 'decline') {
      let input: Record<string, unknown>;
      try {
        input = parseInput(ctx.req.headers['content-type'], ctx.body);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        return sendError(res, format, 400, { code: 'BadRequest', subcode: 'DeserializationFailure', message: err.message });
      }
      const r = field(input, 'reason') ?? ctx.url.searchParams.get('reason') ?? undefined;
      if (r !== undefined && typeof r !== 'string') return sendError(res, format, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'reason must be a string.' });
      // reason is a CallDeclineReason (decline_ref): an unknown value is an input error, not a silent Local.
      if (r !== undefined && !DECLINE_REASONS.includes(r)) {
        return sendError(res, format, 400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: `reason must be one of ${DECLINE_REASONS.join(', ')}.` });
      }
      reason = r;
    }
    const result = this.invitations.act(ep, action, reason);
    if (result.status === 204) return sendNoContent(res);
    sendError(res, format, result.status, result.reason);
  }

  private methodNotAllowed(ctx: RouteContext): void {
    sendError(ctx.res, ctx.format, 405, { code: 'MethodNotAllowed', message: `${ctx.req.method} is not allowed here.` });
  }
}

export { sendJson };
