// The simulator's admin API (`/_sim/...`): create invitations and move them on, inject faults, read what clients sent.
import type { ApplicationRegistry } from './applications';
import type { FaultAction, FaultInjector } from './faults';
import { InputError, sendJson } from './http-io';
import { INVITATION_KINDS, InvitationKind, InvitationService, InvitationSpec, SourceNetwork } from './invitations';
import type { SimulatorOptions } from './options';
import type { RequestLog } from './request-log';
import type { TokenService } from './tokens';
import type { UserDirectory } from './users';
import type { RouteContext } from './pool-routes';
import { handleMessagingAdmin, MESSAGING_VERBS } from './messaging-admin';

const SOURCE_NETWORKS: SourceNetwork[] = ['SameEnterprise', 'Federated', 'PublicCloud', 'Everyone', 'Unknown'];
const IMPORTANCES = ['Normal', 'Urgent', 'Emergency'] as const;

export class AdminRoutes {
  constructor(
    private readonly options: SimulatorOptions,
    private readonly users: UserDirectory,
    private readonly tokens: TokenService,
    private readonly apps: ApplicationRegistry,
    private readonly invitations: InvitationService,
    private readonly faults: FaultInjector,
    private readonly log: RequestLog,
  ) {}

  handle(ctx: RouteContext): void {
    try {
      this.route(ctx);
    } catch (err) {
      if (err instanceof InputError) return sendJson(ctx.res, 400, { error: err.message });
      throw err;
    }
  }

  private route(ctx: RouteContext): void {
    const method = ctx.req.method ?? 'GET';
    const path = ctx.url.pathname.replace(/\/+$/, '');
    const q = ctx.url.searchParams;
    if (path === '/_sim/invitations' && method === 'POST') {
      const spec = this.invitationSpec(parseJson(ctx.body));
      const inv = this.invitations.create(spec);
      return sendJson(ctx.res, 201, { id: inv.id, href: `/_sim/invitations/${inv.id}`, state: inv.state, deliveredTo: inv.endpoints.map((e) => e.app.id) });
    }
    const invMatch = /^\/_sim\/invitations\/([^/]+)(?:\/([a-z-]+))?$/.exec(path);
    if (invMatch) {
      const inv = this.invitations.get(invMatch[1]);
      if (!inv) return sendJson(ctx.res, 404, { error: `no invitation ${invMatch[1]}` });
      const verb = invMatch[2];
      if (!verb && method === 'GET') return sendJson(ctx.res, 200, inv.summary());
      if (verb && MESSAGING_VERBS.includes(verb)) return handleMessagingAdmin(ctx, this.invitations, inv, verb, method === 'POST' ? parseJson(ctx.body) : {});
      if (verb && method === 'POST') {
        const handlers: Record<string, () => number> = {
          cancel: () => this.invitations.cancel(inv),
          admit: () => this.invitations.admit(inv),
          deny: () => this.invitations.deny(inv),
          'answer-elsewhere': () => this.invitations.answerElsewhere(inv),
          fail: () => this.invitations.fail(inv, failureReason(ctx.body)),
        };
        const fn = handlers[verb];
        if (!fn) return sendJson(ctx.res, 404, { error: `unknown invitation action ${verb}` });
        const affected = fn();
        // Nothing to act on (e.g. admit with nobody in the lobby) is a conflict, so tests notice a wrong sequence.
        return sendJson(ctx.res, affected > 0 ? 200 : 409, { affected, ...inv.summary() });
      }
      return sendJson(ctx.res, 405, { error: `${method} not allowed` });
    }
    if (path === '/_sim/faults') {
      if (method === 'GET') return sendJson(ctx.res, 200, this.faults.list());
      if (method === 'DELETE') {
        this.faults.clear();
        return sendJson(ctx.res, 200, { cleared: true });
      }
      if (method === 'POST') return sendJson(ctx.res, 201, this.fault(parseJson(ctx.body)));
    }
    if (path === '/_sim/requests') {
      if (method === 'DELETE') {
        this.log.clear();
        return sendJson(ctx.res, 200, { cleared: true });
      }
      const since = q.get('since');
      return sendJson(ctx.res, 200, this.log.query({ path: q.get('path') ?? undefined, method: q.get('method') ?? undefined, user: q.get('user') ?? undefined, since: since ? Number(since) : undefined }));
    }
    if (path === '/_sim/applications' && method === 'GET') {
      const user = q.get('user');
      const list = user ? this.apps.forUser(user) : this.apps.all();
      return sendJson(
        ctx.res,
        200,
        list.map((a) => ({ id: a.id, user: a.user.upn, pool: a.pool, href: a.base, madeAvailable: a.madeAvailable, modalities: a.modalities, parked: a.channel.hasParkedPGet, queued: a.channel.queuedCount, userAgent: a.input.userAgent, endpointId: a.input.endpointId })),
      );
    }
    if (path === '/_sim/events' && method === 'POST') return sendJson(ctx.res, 201, this.injectEvent(parseJson(ctx.body)));
    if (path === '/_sim/status' && method === 'GET') {
      const all = this.apps.all();
      return sendJson(ctx.res, 200, { users: this.users.all().length, applications: all.length, parkedPGets: all.filter((a) => a.channel.hasParkedPGet).length, timeScale: this.options.timeScale });
    }
    sendJson(ctx.res, 404, { error: `no admin route ${method} ${path}` });
  }

  private invitationSpec(b: Record<string, unknown>): InvitationSpec {
    const str = (v: unknown, name: string, required = false): string | undefined => {
      if (v === undefined || v === null) {
        if (required) throw new InputError(`${name} is required`);
        return undefined;
      }
      if (typeof v !== 'string') throw new InputError(`${name} must be a string`);
      return v;
    };
    const to = str(b.to, 'to', true)!;
    if (!this.users.find(to)) throw new InputError(`to: no such user ${to}`);
    const kind = b.kind ?? 'onlineMeeting';
    if (!INVITATION_KINDS.includes(kind as InvitationKind)) throw new InputError(`kind must be one of ${INVITATION_KINDS.join(', ')}`);
    const fromRaw = (b.from ?? {}) as Record<string, unknown>;
    if (typeof fromRaw !== 'object') throw new InputError('from must be an object');
    const fromUri = str(fromRaw.uri, 'from.uri', true)!;
    if (!fromUri.startsWith('sip:')) throw new InputError('from.uri must be a sip: URI');
    const sourceNetwork = (fromRaw.sourceNetwork ?? 'SameEnterprise') as SourceNetwork;
    if (!SOURCE_NETWORKS.includes(sourceNetwork)) throw new InputError(`from.sourceNetwork must be one of ${SOURCE_NETWORKS.join(', ')}`);
    let onBehalfOf: InvitationSpec['onBehalfOf'];
    if (b.onBehalfOf !== undefined) {
      const o = b.onBehalfOf as Record<string, unknown>;
      const uri = str(o?.uri, 'onBehalfOf.uri', true)!;
      onBehalfOf = { uri, name: str(o.name, 'onBehalfOf.name') ?? uri.replace(/^sip:/, '') };
    }
    const importance = (b.importance ?? 'Normal') as (typeof IMPORTANCES)[number];
    if (!IMPORTANCES.includes(importance)) throw new InputError(`importance must be one of ${IMPORTANCES.join(', ')}`);
    const messageEncoding = b.messageEncoding ?? 'url';
    if (messageEncoding !== 'url' && messageEncoding !== 'base64') throw new InputError('messageEncoding must be url or base64');
    const mods = b.availableModalities ?? (kind === 'onlineMeeting' ? ['Messaging', 'Audio', 'Video', 'ApplicationSharing'] : kind === 'messaging' ? ['Messaging'] : ['Audio', 'Video']);
    if (!Array.isArray(mods) || !mods.every((m) => typeof m === 'string')) throw new InputError('availableModalities must be an array of strings');
    const answer = b.answerWindowSeconds ?? this.options.answerWindowSeconds;
    if (typeof answer !== 'number' || !(answer > 0)) throw new InputError('answerWindowSeconds must be a positive number');
    // A silently ignored lobby flag would make a test believe it covers the lobby when it does not.
    if (b.lobby !== undefined && typeof b.lobby !== 'boolean') throw new InputError('lobby must be true or false');
    if (b.lobby === true && kind !== 'onlineMeeting') throw new InputError('lobby applies only to kind onlineMeeting');
    const admitAfter = b.admitAfterSeconds;
    if (admitAfter !== undefined && (typeof admitAfter !== 'number' || !(admitAfter >= 0))) throw new InputError('admitAfterSeconds must be a number of seconds, 0 or more');
    if (admitAfter !== undefined && b.lobby !== true) throw new InputError('admitAfterSeconds needs lobby: true');
    const organizer = fromUri.replace(/^sip:/, '');
    return {
      to,
      kind: kind as InvitationKind,
      from: { name: str(fromRaw.name, 'from.name') ?? organizer, uri: fromUri, sourceNetwork },
      onBehalfOf,
      subject: str(b.subject, 'subject') ?? '',
      importance,
      message: str(b.message, 'message'),
      messageEncoding,
      onlineMeetingUri: kind === 'onlineMeeting' ? (str(b.onlineMeetingUri, 'onlineMeetingUri') ?? `sip:${organizer};gruu;opaque=app:conf:focus:id:${Math.random().toString(36).slice(2, 10).toUpperCase()}`) : undefined,
      availableModalities: mods as string[],
      lobby: b.lobby === true,
      admitAfterSeconds: admitAfter as number | undefined,
      answerWindowSeconds: answer,
    };
  }

  /**
   * Queues an arbitrary event on a user's applications, e.g. a low-priority group change or an event type a client
   * does not know: `{user, senderRel, rel, type, priority?, title?}`. Hrefs are made under each application.
   */
  private injectEvent(b: Record<string, unknown>): Record<string, unknown> {
    const user = typeof b.user === 'string' ? b.user : '';
    if (!this.users.find(user)) throw new InputError(`user: no such user ${user}`);
    const name = (v: unknown, field: string) => {
      if (typeof v !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(v)) throw new InputError(`${field} must be a resource name (letters and digits)`);
      return v;
    };
    const senderRel = name(b.senderRel, 'senderRel');
    const rel = name(b.rel, 'rel');
    const type = b.type;
    if (type !== 'added' && type !== 'updated' && type !== 'deleted') throw new InputError('type must be added, updated or deleted');
    const priority = b.priority ?? 'high';
    if (priority !== 'high' && priority !== 'medium' && priority !== 'low') throw new InputError('priority must be high, medium or low');
    const title = b.title === undefined ? undefined : String(b.title);
    const apps = this.apps.forUser(user);
    for (const app of apps) {
      const senderHref = `${app.base}/${senderRel}`;
      app.channel.enqueue({ rel: senderRel, href: senderHref }, { type, link: { rel, href: `${senderHref}/${rel}`, title } }, priority);
    }
    return { queued: apps.length };
  }

  private fault(b: Record<string, unknown>): Record<string, unknown> {
    const user = typeof b.user === 'string' ? b.user.toLowerCase() : undefined;
    const appsOf = () => (user ? this.apps.forUser(user) : this.apps.all());
    switch (b.kind) {
      case 'expireTokens':
        return { expired: this.tokens.expire(user) };
      case 'expireApplications': {
        const list = appsOf();
        const status = b.status === 410 ? 410 : this.options.applicationGoneStatus;
        for (const a of list) {
          a.reap(status === 410 ? { status, reason: { code: 'Gone', subcode: 'InactiveApplicationExpired', message: 'The application expired.' } } : { status, reason: { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'The application does not exist.' } });
        }
        return { expired: list.length };
      }
      case 'resync': {
        const list = appsOf();
        for (const a of list) a.channel.forceResync();
        return { affected: list.length };
      }
      case 'resume': {
        // A resume follows a server state reset: conversations closed, ringing invitations ended (see the README).
        const list = appsOf();
        let ended = 0;
        for (const a of list) {
          ended += this.invitations.resetApplication(a);
          a.channel.forceResume();
        }
        return { affected: list.length, endedInvitations: ended };
      }
    }
    const path = typeof b.path === 'string' ? b.path : '';
    const count = b.count === undefined ? 1 : Number(b.count);
    if (!Number.isInteger(count) || count < 1) throw new InputError('count must be a positive integer');
    const method = typeof b.method === 'string' ? b.method : undefined;
    let action: FaultAction;
    switch (b.kind) {
      case 'status': {
        const status = Number(b.status);
        if (!Number.isInteger(status) || status < 400 || status > 599) throw new InputError('status must be an HTTP error status (400-599)');
        const retryAfter = b.retryAfter === undefined ? undefined : Number(b.retryAfter);
        action = { kind: 'status', status, retryAfter, code: typeof b.code === 'string' ? b.code : undefined, subcode: typeof b.subcode === 'string' ? b.subcode : undefined };
        break;
      }
      case 'reset':
        action = { kind: 'reset' };
        break;
      case 'delay': {
        const seconds = Number(b.seconds);
        if (!(seconds >= 0)) throw new InputError('seconds must be a non-negative number');
        action = { kind: 'delay', seconds };
        break;
      }
      case 'body': {
        if (b.body !== 'html' && b.body !== 'malformed' && b.body !== 'empty') throw new InputError('body must be html, malformed or empty');
        action = { kind: 'body', body: b.body, status: b.status === undefined ? undefined : Number(b.status) };
        break;
      }
      default:
        throw new InputError('kind must be one of status, reset, delay, body, expireTokens, expireApplications, resync, resume');
    }
    return { ...this.faults.add(path, method, count, action) };
  }
}

/** Optional `{code, subcode?, message?}` body of the `fail` action. */
function failureReason(body: string): { code: string; subcode?: string; message?: string } | undefined {
  if (!body.trim()) return undefined;
  const b = parseJson(body);
  if (typeof b.code !== 'string' || !b.code) throw new InputError('fail: code must be a non-empty string');
  const opt = (v: unknown, name: string) => {
    if (v !== undefined && typeof v !== 'string') throw new InputError(`fail: ${name} must be a string`);
    return v as string | undefined;
  };
  return { code: b.code, subcode: opt(b.subcode, 'subcode'), message: opt(b.message, 'message') };
}

function parseJson(body: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body || '{}') as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`malformed JSON: ${(err as Error).message}`);
  }
}
