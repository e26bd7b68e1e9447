// Shared harness for the client and watcher tests over real HTTP: simulators with quiet timers, the admin API,
// a transport that records (and can rewrite or hold) what the client sends and receives, a stranger HTTP server
// that must never be contacted, a capturing logger, and bounded waits that need no sleeps.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UcwaSimulator } from '../../src/simulator';
import type { SimUser } from '../../src/simulator';
import { JsonLogger, Logger, silentLogger } from '../../src/logger';
import { createRepositories, InvitationRecord, MemoryStorage, Repositories } from '../../src/store';
import { AccountConfig, AccountStatusView, AccountWatcher, InvitationChange, WatcherSupervisor, WatcherTiming } from '../../src/watcher';
import { ApplicationOptions, UcwaApplication } from '../../src/ucwa/application';
import { PasswordTokenProvider, TokenProvider } from '../../src/ucwa/auth';
import { discover } from '../../src/ucwa/discovery';
import { EventBatch, EventChannel, EventChannelOptions } from '../../src/ucwa/event-channel';
import { HttpRequest, HttpResponse, HttpTransport, NodeHttpTransport } from '../../src/ucwa/http';
import type { UcwaEvent } from '../../src/ucwa/resource';
import { Representation, UcwaSession } from '../../src/ucwa/session';
import { QUIET, useSimulators as useSimulatorsWith } from './simulators';

export const PASSWORD = 'Tr0ub4dor&3-secret';

export function user(upn: string, pool: 'primary' | 'secondary' = 'primary', password = PASSWORD): SimUser {
  return { upn, sip: `sip:${upn}`, displayName: upn.split('@')[0], password, pool };
}

export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
export const CAROL = 'carol@example.com';
export const DAVE = 'dave@example.com';

/** Simulators with the harness's users (Dave is homed in the secondary pool); see ./simulators. */
export function useSimulators() {
  return useSimulatorsWith({ users: [user(ALICE), user(BOB), user(CAROL), user(DAVE, 'secondary')] });
}

export { QUIET };

// ------------------------------------------------------------------------------------------------- admin API

export interface LoggedRequest {
  seq: number;
  pool: string;
  method: string;
  path: string;
  auth: 'bearer' | 'other' | 'none';
  user?: string;
  body?: string;
  status?: number;
}

export interface SimInvitationSummary {
  id: string;
  state: string;
  clientAction: string | null;
  declineReason?: string;
  actions: Array<{ action: string; status: number; applicationId: string }>;
  endpoints: Array<{ applicationId: string; href: string; state: string }>;
}

export interface SimApplicationSummary {
  id: string;
  user: string;
  pool: string;
  href: string;
  madeAvailable: boolean;
  modalities: string[];
  parked: boolean;
}

export class Admin {
  constructor(readonly sim: UcwaSimulator) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.sim.origin}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as T };
  }

  async invite(spec: Record<string, unknown>): Promise<string> {
    const r = await this.call<{ id: string; deliveredTo: string[] }>('POST', '/_sim/invitations', {
      from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' },
      subject: 'Hello',
      ...spec,
    });
    assert.equal(r.status, 201, `create invitation: ${JSON.stringify(r.json)}`);
    assert.ok(r.json.deliveredTo.length > 0, 'the invitation reached an application');
    return r.json.id;
  }

  async invitation(id: string): Promise<SimInvitationSummary> {
    const r = await this.call<SimInvitationSummary>('GET', `/_sim/invitations/${id}`);
    assert.equal(r.status, 200);
    return r.json;
  }

  async move(id: string, verb: 'cancel' | 'admit' | 'deny' | 'answer-elsewhere'): Promise<void> {
    const r = await this.call<unknown>('POST', `/_sim/invitations/${id}/${verb}`);
    assert.equal(r.status, 200, `${verb} ${id}: ${JSON.stringify(r.json)}`);
  }

  async fault(spec: Record<string, unknown>): Promise<void> {
    const r = await this.call<unknown>('POST', '/_sim/faults', spec);
    assert.equal(r.status, 201, `fault ${JSON.stringify(spec)}: ${JSON.stringify(r.json)}`);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/_sim/faults');
  }

  async requests(filter: { path?: string; method?: string; since?: number } = {}): Promise<LoggedRequest[]> {
    const q = new URLSearchParams();
    if (filter.path) q.set('path', filter.path);
    if (filter.method) q.set('method', filter.method);
    if (filter.since !== undefined) q.set('since', String(filter.since));
    return (await this.call<LoggedRequest[]>('GET', `/_sim/requests?${q}`)).json;
  }

  async lastSeq(): Promise<number> {
    const all = await this.requests();
    return all.length ? all[all.length - 1].seq : 0;
  }

  async applications(upn?: string): Promise<SimApplicationSummary[]> {
    return (await this.call<SimApplicationSummary[]>('GET', `/_sim/applications${upn ? `?user=${encodeURIComponent(upn)}` : ''}`)).json;
  }

  /** Polls (bounded, short waits) until `check` holds for the simulator's state. */
  async until<T>(read: () => Promise<T>, check: (v: T) => boolean, what: string, tries = 500): Promise<T> {
    let last: T | undefined;
    for (let i = 0; i < tries; i++) {
      last = await read();
      if (check(last)) return last;
      await shortWait();
    }
    assert.fail(`${what}: not reached; last seen ${JSON.stringify(last)}`.slice(0, 3000));
  }

  /** Waits until the user has an application with a parked P-GET (the client is listening). */
  async parked(upn: string): Promise<SimApplicationSummary> {
    const apps = await this.until(() => this.applications(upn), (a) => a.some((x) => x.parked), `${upn} parks a P-GET`);
    return apps.find((x) => x.parked)!;
  }
}

/** A short pause between polls of the admin API (never used to wait for the client itself to finish work). */
export function shortWait(ms = 10): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------------- transport

export interface Exchange {
  request: HttpRequest;
  response?: HttpResponse;
  error?: Error;
}

/**
 * Wraps the real transport: records every exchange, lets a test rewrite a response (to plant a hostile href) or
 * hold a response back until the test releases it.
 */
export class RecordingTransport implements HttpTransport {
  readonly exchanges: Exchange[] = [];
  rewrite?: (request: HttpRequest, response: HttpResponse) => HttpResponse;
  hold?: (request: HttpRequest) => Promise<void> | undefined;

  constructor(readonly inner: NodeHttpTransport = new NodeHttpTransport()) {}

  /** P-GETs currently in flight, and the most there ever were at once. */
  eventsInFlight = 0;
  maxEventsInFlight = 0;

  async send(request: HttpRequest): Promise<HttpResponse> {
    const ex: Exchange = { request: { ...request, headers: { ...request.headers } } };
    this.exchanges.push(ex);
    const isEvents = request.url.pathname.endsWith('/events');
    if (isEvents) this.maxEventsInFlight = Math.max(this.maxEventsInFlight, ++this.eventsInFlight);
    try {
      let res = await this.inner.send(request);
      if (this.rewrite) res = this.rewrite(request, res);
      ex.response = res;
      const wait = this.hold?.(request);
      if (wait) await abortable(wait, request.signal);
      return res;
    } catch (err) {
      ex.error = err as Error;
      throw err;
    } finally {
      if (isEvents) this.eventsInFlight--;
    }
  }

  /** Every credential that crossed the wire: Authorization values sent, tokens received. */
  secrets(): string[] {
    const out = new Set<string>();
    for (const ex of this.exchanges) {
      const auth = ex.request.headers.Authorization;
      if (auth) {
        out.add(auth);
        out.add(auth.replace(/^Bearer\s+/i, ''));
      }
      if (ex.request.url.pathname.endsWith('/oauthtoken') && ex.response) {
        try {
          const t = (JSON.parse(ex.response.body) as { access_token?: string }).access_token;
          if (t) out.add(t);
        } catch {
          // not a token answer
        }
      }
    }
    return [...out];
  }

  close(): void {
    this.inner.close();
  }
}

/** Resolves with `p`, or rejects with an AbortError when `signal` fires first (a held answer must not block a stop). */
function abortable(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      const err = new Error('aborted while held');
      err.name = 'AbortError';
      reject(err);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, reject);
  });
}

/** A gate that holds matching responses until opened. */
export class Gate {
  private waiters: Array<() => void> = [];
  closed = false;
  held = 0;

  wait(): Promise<void> | undefined {
    if (!this.closed) return undefined;
    this.held++;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    this.closed = false;
    this.waiters.splice(0).forEach((w) => w());
  }
}

// ------------------------------------------------------------------------------------------------- a stranger

/** A plain HTTP server on another port that records any request it gets: it must see none. */
export class StrangerServer {
  readonly requests: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  private server?: http.Server;
  origin = '';

  async start(host = '127.0.0.1'): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        this.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    const addr = this.server.address() as AddressInfo;
    this.origin = `http://${host}:${addr.port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

// ------------------------------------------------------------------------------------------------- logging

export function capturingLogger(): { logger: JsonLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new JsonLogger('debug', (line) => lines.push(line)), lines };
}

/** Fails if any text contains a secret: a token seen on the wire, the password, or an unredacted cwt= value. */
export function assertNoSecrets(texts: string[], secrets: string[], password = PASSWORD): void {
  const all = secrets.filter((s) => s.length >= 8);
  assert.ok(all.length > 0, 'the run must have produced tokens to look for');
  for (const t of texts) {
    assert.ok(!t.includes(password), `the password leaked: ${t}`);
    assert.ok(!/cwt=(?!\[REDACTED\])/i.test(t), `an unredacted cwt= token: ${t}`);
    for (const s of all) assert.ok(!t.includes(s), `a credential leaked: ${t}`);
  }
}

// ------------------------------------------------------------------------------------------------- waiting

/**
 * Collects items pushed by callbacks (supervisor onChange/onStatus) and lets a test wait until a condition holds,
 * re-checked on each push. The timeout is a guard against a hang, never a way to let time pass.
 */
export class Observed<T> {
  readonly items: T[] = [];
  private wakers = new Set<() => void>();

  push = (item: T): void => {
    this.items.push(item);
    this.wakers.forEach((w) => w());
  };

  /** Re-checks waiters without a new item (e.g. after another observed list changed). */
  poke(): void {
    this.wakers.forEach((w) => w());
  }

  async waitFor<R>(find: (items: T[]) => R | undefined | false, what: string, timeoutMs = 8000): Promise<R> {
    const first = find(this.items);
    if (first) return first;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        const r = find(this.items);
        if (r) {
          clearTimeout(timer);
          this.wakers.delete(check);
          resolve(r);
        }
      };
      this.wakers.add(check);
    });
  }
}

// ------------------------------------------------------------------------------------------------- client setup

export interface ConnectedClient {
  session: UcwaSession;
  app: UcwaApplication;
  applicationsUrl: string;
}

/** Discovery, a new application and makeMeAvailable, as the watcher does it, with the given token provider. */
export async function connectClient(
  sim: UcwaSimulator,
  transport: HttpTransport,
  tokens: TokenProvider,
  representation: Representation = 'json',
  options: Partial<ApplicationOptions> = {},
): Promise<ConnectedClient> {
  const session = new UcwaSession({ transport, tokens, representation });
  const { applicationsUrl } = await discover(session, { discoveryUrl: sim.discoveryUrl });
  const app = await UcwaApplication.create(session, applicationsUrl, { userAgent: 'harness/1.0', culture: 'en-US', ...options });
  await app.makeAvailable();
  return { session, app, applicationsUrl };
}

/** Runs an event channel in the background, collecting its batches; `stop()` aborts it and returns how it ended. */
export function runChannel(
  session: UcwaSession,
  startHref: string,
  options: Partial<EventChannelOptions> = {},
): { channel: EventChannel; batches: Observed<EventBatch>; retries: Array<{ error: Error; delayMs: number }>; ended: Promise<unknown>; stop(): Promise<unknown> } {
  const batches = new Observed<EventBatch>();
  const retries: Array<{ error: Error; delayMs: number }> = [];
  const controller = new AbortController();
  const channel = new EventChannel(session, startHref, {
    backoff: { baseMs: 5, maxMs: 50 },
    onRetry: (error, _n, delayMs) => {
      retries.push({ error, delayMs });
      batches.poke();
    },
    ...options,
    onBatch: async (batch) => {
      await options.onBatch?.(batch);
      batches.push(batch);
    },
  });
  const ended = channel.run(controller.signal).then(
    () => undefined,
    (err: unknown) => err,
  );
  return {
    channel,
    batches,
    retries,
    ended,
    async stop() {
      controller.abort();
      const end = await ended;
      // The channel must have been running until now: anything but the abort means it died on its own.
      assert.ok(end instanceof Error && end.name === 'AbortError', `the channel ended with ${String(end)}`);
      return end;
    },
  };
}

/** Every event of the batches so far, flattened. */
export function eventsOf(batches: EventBatch[]): UcwaEvent[] {
  return batches.flatMap((b) => b.events.senders.flatMap((s) => s.events));
}

/** An HS256 JWT as the simulator's `jwt.hs256Secret` option trusts it. */
export function hs256Jwt(claims: Record<string, unknown>, secret: string): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = part({ alg: 'HS256', typ: 'JWT' });
  const body = part(claims);
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

// ------------------------------------------------------------------------------------------------- watchers

/** Small backoffs so recovery takes milliseconds; the simulator's hold is 180 ms at timeScale 0.001. */
export const FAST_TIMING: Partial<WatcherTiming> = {
  backoff: { baseMs: 5, maxMs: 50 },
  authBackoff: { baseMs: 5, maxMs: 50 },
};

export interface RigOptions {
  repositories?: Repositories;
  logger?: Logger;
  timing?: Partial<WatcherTiming>;
  transport?: RecordingTransport;
  /** The watchers' jitter source (default Math.random). */
  random?: () => number;
}

/** A supervisor over the simulator with observed changes and statuses. */
export class WatcherRig {
  readonly changes = new Observed<InvitationChange>();
  readonly statuses = new Observed<AccountStatusView>();
  readonly sup: WatcherSupervisor;
  readonly transport: RecordingTransport;
  readonly repositories: Repositories;
  readonly admin: Admin;

  constructor(
    readonly sim: UcwaSimulator,
    options: RigOptions = {},
  ) {
    this.transport = options.transport ?? new RecordingTransport();
    this.repositories = options.repositories ?? createRepositories(new MemoryStorage());
    this.admin = new Admin(sim);
    this.sup = new WatcherSupervisor({ transport: this.transport, repositories: this.repositories, logger: options.logger ?? silentLogger, timing: { ...FAST_TIMING, ...options.timing }, random: options.random });
    this.sup.onChange(this.changes.push);
    this.sup.onStatus(this.statuses.push);
  }

  account(upn: string, extra: Partial<AccountConfig> = {}, password = PASSWORD): AccountConfig {
    return {
      accountId: upn,
      sip: `sip:${upn}`,
      discovery: { discoveryUrl: this.sim.discoveryUrl },
      tokens: new PasswordTokenProvider(this.transport, { username: upn, password }),
      ...extra,
    };
  }

  start(upn: string, extra: Partial<AccountConfig> = {}, password = PASSWORD): AccountWatcher {
    return this.sup.start(this.account(upn, extra, password));
  }

  /** Waits until the account reports `connected` and the simulator holds its P-GET. */
  async connected(upn: string): Promise<void> {
    try {
      await this.statuses.waitFor((s) => s.some((x) => x.accountId === upn && x.state === 'connected'), `${upn} connected`);
    } catch (err) {
      // Say why: the account's status and the last requests the simulator saw.
      const recent = (await this.admin.requests().catch(() => [])).slice(-8).map((r) => `${r.method} ${r.path} ${r.status}`);
      throw new Error(`${(err as Error).message}; status ${JSON.stringify(this.sup.status(upn))}; last requests: ${recent.join(' | ')}`, { cause: err });
    }
    await this.admin.parked(upn);
  }

  /** The latest change of the invitation the simulator knows as `simId`, once `check` holds for its record. */
  async record(simId: string, check: (r: InvitationRecord) => boolean, what: string): Promise<InvitationRecord> {
    const mine = (items: InvitationChange[]) => items.filter((c) => c.record.invitationHref.endsWith(`/${simId}`));
    const change = await this.changes.waitFor((items) => {
      const list = mine(items);
      const last = list[list.length - 1];
      return last && check(last.record) ? last : undefined;
    }, `${what} (invitation ${simId}; states so far: ${mine(this.changes.items).map((c) => c.record.state).join(' -> ')})`);
    return change.record;
  }

  async stop(): Promise<void> {
    await this.sup.stopAll();
    this.transport.close();
  }
}

/** Stops every rig after each test (register before useSimulators so rigs stop while the simulator still runs). */
export function useRigs(): { make(sim: UcwaSimulator, options?: RigOptions): WatcherRig } {
  const rigs: WatcherRig[] = [];
  afterEach(async () => {
    await Promise.all(rigs.splice(0).map((r) => r.stop()));
  });
  return {
    make(sim, options) {
      const rig = new WatcherRig(sim, options);
      rigs.push(rig);
      return rig;
    },
  };
}
