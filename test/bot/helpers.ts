// Shared pieces of the bot tests: a fake Bot Connector over real HTTP, a recording logger, a TestAdapter that records
// updateActivity, the simulator's admin API, and a harness that wires the real bot (real WatcherSupervisor, real
// simulator, MemoryStorage repositories, real CardNotifier posting to the fake connector).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Activity, ActivityTypes, ConversationAccount, ConversationReference, ResourceResponse, TestAdapter, TurnContext } from 'botbuilder';
import type { Logger } from '../../src/logger';
import { demoUsers, UcwaSimulator } from '../../src/simulator';
import type { SimulatorOptions } from '../../src/simulator/options';
import { type AccountId, accountIdOf, createRepositories, HealthReportingStorage, InvitationRecord, MemoryStorage, Repositories, sipAddressOf, StoreHealth } from '../../src/store';
import { NodeHttpTransport } from '../../src/ucwa/http';
import { WatcherSupervisor } from '../../src/watcher';
import { AccountDirectory } from '../../bot/account-directory';
import type { LinkedAccount } from '../../bot/accounts';
import { createAdapter } from '../../bot/adapter';
import { createBotCards, invitationSummary } from '../../bot/bot-cards';
import { CardNotifier } from '../../bot/card-notifier';
import { loadConfig } from '../../bot/config';
import { TeamsInstallations } from '../../bot/installations';
import { BotServices, DemoHooks, InvitationBot } from '../../bot/invitation-bot';
import { ProactiveSender } from '../../bot/proactive-sender';
import { WatchManager } from '../../bot/watch-manager';

// Captured before any test installs sinon's fake timers: bounded waits must run on real time.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

type Json = Record<string, unknown>;

// ------------------------------------------------------------------------------------------------ waiting

/** Resolves when `check` returns a value; re-checks whenever `subscribe` signals; rejects after `timeoutMs`. */
export function waitUntil<T>(what: string, subscribe: (wake: () => void) => () => void, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 8_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      realClearTimeout(timer);
      unsubscribe();
      fn();
    };
    const attempt = async () => {
      if (done) return;
      if (running) return void (again = true);
      running = true;
      try {
        do {
          again = false;
          const v = await check();
          if (v !== undefined) return finish(() => resolve(v));
        } while (again && !done);
      } catch (err) {
        finish(() => reject(err));
      } finally {
        running = false;
      }
    };
    const timer = realSetTimeout(() => finish(() => reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
    const unsubscribe = subscribe(() => void attempt());
    void attempt();
  });
}

/** Waits on the supervisor's change and status events. */
export function untilWatcher<T>(supervisor: WatcherSupervisor, what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs?: number): Promise<T> {
  return waitUntil(what, (wake) => {
    const a = supervisor.onChange(wake);
    const b = supervisor.onStatus(wake);
    return () => {
      a();
      b();
    };
  }, check, timeoutMs);
}

/** Polls with short bounded waits (for state that has no event, e.g. the simulator's view). */
export async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, attempts = 200, intervalMs = 20): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => realSetTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ------------------------------------------------------------------------------------------------ processes

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled entry point, run as a process. */
export const BOT_ENTRY = path.resolve(__dirname, '../../bot/index.js');

export function runNode(args: string[], env: Record<string, string>, timeoutMs = 15_000, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = realSetTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not exit: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      realClearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ------------------------------------------------------------------------------------------------ logging

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Json;
}

/** A Logger that keeps every line, so tests can check what was (and was not) logged. */
export class RecordingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly base: Json = {},
  ) {}
  debug(message: string, fields?: Json): void {
    this.entries.push({ level: 'debug', message, fields: { ...this.base, ...fields } });
  }
  info(message: string, fields?: Json): void {
    this.entries.push({ level: 'info', message, fields: { ...this.base, ...fields } });
  }
  warn(message: string, fields?: Json): void {
    this.entries.push({ level: 'warn', message, fields: { ...this.base, ...fields } });
  }
  error(message: string, fields?: Json): void {
    this.entries.push({ level: 'error', message, fields: { ...this.base, ...fields } });
  }
  child(fields: Json): Logger {
    return new RecordingLogger(this.entries, { ...this.base, ...fields });
  }
  has(level: LogEntry['level'], fragment: string): boolean {
    return this.entries.some((e) => e.level === level && e.message.includes(fragment));
  }
}

// ------------------------------------------------------------------------------------------ fake connector

export interface ConnectorRequest {
  kind: 'post' | 'update';
  conversationId: string;
  /** The activity updated (PUT) or replied to (POST .../activities/{id}). */
  activityId?: string;
  body: Partial<Activity>;
  /** Date.now() when the request arrived: the fake clock's time when sinon's timers are installed. */
  at: number;
  status: number;
  /** The id the connector answered with (posts and updates that succeeded). */
  id?: string;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Runs before the answer goes out: something that happens while the request is in flight (or holds it). */
  meanwhile?: (request: ConnectorRequest) => Promise<void>;
  /** Only for requests to this conversation (Teams throttles per conversation); any conversation when absent. */
  conversationId?: string;
}

/**
 * The Bot Connector endpoints the CloudAdapter calls for proactive posts and card updates, over real HTTP:
 * `POST /v3/conversations/{id}/activities[/{replyToId}]` -> 201 {id}, `PUT /v3/conversations/{id}/activities/{id}`
 * -> 200 {id}. Failures are scripted per kind of request.
 */
export class FakeConnector extends EventEmitter {
  readonly requests: ConnectorRequest[] = [];
  /** Members that `GET /v3/conversations/{id}/members/{memberId}` (TeamsInfo.getMember) knows, by member id. */
  readonly members = new Map<string, Json>();
  private readonly script: Array<{ kind: 'post' | 'update' | 'any'; response: ScriptedResponse }> = [];
  /** createConversation calls (POST /v3/conversations) and the id answered (none when refused). */
  readonly created: Array<{ body: Json; id?: string }> = [];
  /** Answer createConversation with 403, as Teams does once the app is gone. */
  refuseCreate = false;
  private nextId = 1;

  private constructor(private readonly server: http.Server) {
    super();
  }

  static async start(): Promise<FakeConnector> {
    const server = http.createServer();
    const connector = new FakeConnector(server);
    server.on('request', (req, res) => connector.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return connector;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` requests of this kind get `response` instead of success. */
  respondNext(kind: 'post' | 'update' | 'any', response: ScriptedResponse, count = 1): void {
    for (let i = 0; i < count; i++) this.script.push({ kind, response });
  }

  /** Forgets what was sent and any scripted failure still waiting. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.created.length = 0;
    this.refuseCreate = false;
  }

  posts(conversationId?: string): ConnectorRequest[] {
    return this.requests.filter((r) => r.kind === 'post' && r.status < 300 && (!conversationId || r.conversationId === conversationId));
  }

  updates(conversationId?: string): ConnectorRequest[] {
    return this.requests.filter((r) => r.kind === 'update' && r.status < 300 && (!conversationId || r.conversationId === conversationId));
  }

  waitFor<T>(what: string, check: (requests: ConnectorRequest[]) => T | undefined, timeoutMs?: number): Promise<T> {
    return waitUntil(what, (wake) => {
      this.on('request', wake);
      return () => this.off('request', wake);
    }, () => check(this.requests), timeoutMs);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', async () => {
      const at = Date.now();
      const member = /^\/v3\/conversations\/[^/]+\/members\/([^/?]+)/.exec(req.url ?? '');
      if (req.method === 'GET' && member) {
        const known = this.members.get(decodeURIComponent(member[1]));
        res.writeHead(known ? 200 : 404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(known ?? { error: { code: 'MemberNotFoundInConversation', message: 'no such member' } }));
        return;
      }
      if (req.method === 'POST' && /^\/v3\/conversations\/?(\?.*)?$/.test(req.url ?? '')) {
        // createConversation: a new 1:1 chat, unless told to refuse (the app was removed).
        const id = `a:created-${this.created.length + 1}`;
        this.created.push({ body: raw ? (JSON.parse(raw) as Json) : {}, id: this.refuseCreate ? undefined : id });
        if (this.refuseCreate) {
          res.writeHead(403, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } }));
        } else {
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ id }));
        }
        return;
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?\/?(?:\?.*)?$/.exec(req.url ?? '');
      const kind = req.method === 'PUT' ? 'update' : req.method === 'POST' ? 'post' : undefined;
      if (!m || !kind || (kind === 'update' && !m[2])) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NotFound', message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      let body: Partial<Activity> = {};
      try {
        body = raw ? (JSON.parse(raw) as Partial<Activity>) : {};
      } catch {
        // Recorded as empty.
      }
      const conversationId = decodeURIComponent(m[1]);
      const activityId = m[2] ? decodeURIComponent(m[2]) : undefined;
      const i = this.script.findIndex(
        (s) => (s.kind === kind || s.kind === 'any') && (s.response.conversationId === undefined || s.response.conversationId === conversationId),
      );
      const scripted = i >= 0 ? this.script.splice(i, 1)[0].response : undefined;
      const request: ConnectorRequest = { kind, conversationId, activityId, body, at, status: scripted?.status ?? (kind === 'post' ? 201 : 200) };
      if (scripted) {
        await scripted.meanwhile?.(request);
        res.writeHead(scripted.status, { 'Content-Type': 'application/json', ...scripted.headers });
        res.end(JSON.stringify(scripted.body ?? { error: { code: 'Scripted', message: `scripted ${scripted.status}` } }));
      } else {
        request.id = kind === 'post' ? `activity-${this.nextId++}` : activityId;
        res.writeHead(request.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: request.id }));
      }
      this.requests.push(request);
      this.emit('request', request);
    });
  }
}

/** A CloudAdapter built by bot/adapter.ts for a local bot (no app id): it calls any serviceUrl without a token. */
export function localCloudAdapter(log: Logger) {
  const config = loadConfig({ STORAGE_URL: 'memory:' });
  return createAdapter(config, {}, log);
}

// ---------------------------------------------------------------------------------------------- simulator

export interface SimInvitation {
  state: string;
  clientAction: string | null;
  declineReason?: string;
  actions: Array<{ action: string; status: number }>;
}

export class SimAdmin {
  constructor(readonly sim: UcwaSimulator) {}

  async invite(spec: Json): Promise<string> {
    const res = await fetch(`${this.sim.origin}/_sim/invitations`, {
      method: 'POST',
      body: JSON.stringify({ to: 'alexw@example.com', kind: 'messaging', from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' }, answerWindowSeconds: 100_000, ...spec }),
    });
    const body = (await res.json()) as { id: string; deliveredTo: string[] };
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.equal(body.deliveredTo.length, 1, 'delivered to the watcher\'s application');
    return body.id;
  }

  async get(id: string): Promise<SimInvitation> {
    return (await fetch(`${this.sim.origin}/_sim/invitations/${id}`)).json() as Promise<SimInvitation>;
  }

  async act(id: string, verb: 'cancel' | 'admit' | 'deny' | 'answer-elsewhere'): Promise<void> {
    const res = await fetch(`${this.sim.origin}/_sim/invitations/${id}/${verb}`, { method: 'POST' });
    assert.equal(res.status, 200, `${verb}: ${await res.text()}`);
  }

  async fault(spec: Json): Promise<void> {
    const res = await fetch(`${this.sim.origin}/_sim/faults`, { method: 'POST', body: JSON.stringify(spec) });
    assert.equal(res.status, 201, await res.text());
  }

  async clearFaults(): Promise<void> {
    await fetch(`${this.sim.origin}/_sim/faults`, { method: 'DELETE' });
  }

  /** Action requests (accept/decline/...) the pool received, by path fragment. */
  async actionRequests(fragment: string): Promise<number> {
    const res = await fetch(`${this.sim.origin}/_sim/requests?method=POST&path=${encodeURIComponent(fragment)}`);
    return ((await res.json()) as unknown[]).length;
  }
}

// --------------------------------------------------------------------------------------------- TestAdapter

/** TestAdapter that also keeps every updateActivity call (it only replaces queued activities otherwise). */
export class RecordingTestAdapter extends TestAdapter {
  readonly updates: Array<Partial<Activity>> = [];

  override async updateActivity(context: TurnContext, activity: Partial<Activity>): Promise<ResourceResponse | void> {
    this.updates.push(activity);
    return super.updateActivity(context, activity);
  }

  /** Runs one incoming activity through the bot and returns what the bot sent during that turn. */
  async turn(activity: Partial<Activity>): Promise<Array<Partial<Activity>>> {
    const before = this.activeQueue.length;
    await this.processActivity(activity);
    return this.activeQueue.slice(before);
  }
}

// ------------------------------------------------------------------------------------------- card reading

export function walk(node: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Json);
    Object.values(node).forEach((v) => walk(v, visit));
  }
}

/** Every text a person reads on a card (TextBlocks, facts), without the invisible anti-linking joiners. */
export function cardTexts(card: unknown): string[] {
  const out: string[] = [];
  walk(card, (n) => {
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(n.text);
    if (n.type === 'FactSet') for (const f of (n.facts as Array<{ title: string; value: string }>) ?? []) out.push(`${f.title} ${f.value}`);
  });
  return out.map((t) => t.replace(/\u2060/g, ''));
}

export const cardHas = (card: unknown, text: string) => cardTexts(card).some((t) => t.includes(text));

export function executeActions(card: unknown): Array<{ verb: string; data: Json }> {
  const out: Array<{ verb: string; data: Json }> = [];
  // The buttons a person can press: the card's `refresh` action is Teams', not the user's.
  const { refresh: _refresh, ...buttons } = (card ?? {}) as Json;
  walk(buttons, (n) => {
    if (n.type === 'Action.Execute') out.push({ verb: n.verb as string, data: n.data as Json });
  });
  return out;
}

export const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';

/** The Adaptive Card a sent activity carries, if any. */
export function cardOf(activity: Partial<Activity> | undefined): Json | undefined {
  return activity?.attachments?.find((a) => a.contentType === ADAPTIVE)?.content as Json | undefined;
}

// ------------------------------------------------------------------------------------------------ harness

export interface TeamsUser {
  id: string;
  aadObjectId: string;
  name: string;
}

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const BOT = { id: '28:bot-app-id', name: 'Skype invitations' };
/** Linked to the simulator's alexw@example.com. */
export const ALEX: TeamsUser = { id: '29:alex-mri', aadObjectId: 'aaaaaaaa-1111-4111-8111-00000000a1e5', name: 'Alex Wilber' };
/** Another user of the tenant; not linked. */
export const MEGAN: TeamsUser = { id: '29:megan-mri', aadObjectId: 'bbbbbbbb-2222-4222-8222-0000000be6a2', name: 'Megan Bowen' };

/** A Teams user's AccountId, as the bot derives it from their activities. */
export function idOf(user: TeamsUser): AccountId {
  return accountIdOf(user.aadObjectId)!;
}

export interface HarnessOptions {
  demo?: DemoHooks;
  invokeBudgetMs?: number;
  simulator?: Partial<Omit<SimulatorOptions, 'users'>>;
  /** Every write of the bot goes through HealthReportingStorage and reports here (as in bot/index.ts). */
  storeHealth?: StoreHealth;
  /** More of Alex's line in the accounts file (e.g. a phone number). */
  account?: Partial<LinkedAccount>;
}

export class BotHarness {
  readonly adapter: RecordingTestAdapter;
  private constructor(
    readonly sim: UcwaSimulator,
    readonly admin: SimAdmin,
    readonly connector: FakeConnector,
    readonly storage: MemoryStorage,
    readonly repositories: Repositories,
    readonly installations: TeamsInstallations,
    readonly supervisor: WatcherSupervisor,
    readonly watches: WatchManager,
    readonly notifier: CardNotifier,
    readonly services: BotServices,
    readonly bot: InvitationBot,
    readonly log: RecordingLogger,
    private readonly transport: NodeHttpTransport,
  ) {
    this.adapter = new RecordingTestAdapter((context) => bot.run(context));
  }

  static async start(options: HarnessOptions = {}): Promise<BotHarness> {
    const sim = await new UcwaSimulator({ timeScale: 0.01, users: demoUsers(), ...options.simulator }).start();
    const connector = await FakeConnector.start();
    const log = new RecordingLogger();
    const storage = new MemoryStorage();
    const reporting = options.storeHealth ? new HealthReportingStorage(storage, options.storeHealth) : storage;
    const repositories = createRepositories(reporting);
    const installations = new TeamsInstallations(reporting);
    const transport = new NodeHttpTransport();
    const accounts: LinkedAccount[] = [{ teamsUser: idOf(ALEX), sip: sipAddressOf('sip:alexw@example.com')!, username: 'alexw@example.com', password: 'demo', ...options.account }];
    const directory = new AccountDirectory({ accounts, discovery: { discoveryUrl: sim.discoveryUrl }, auth: 'password', transport });
    const supervisor = new WatcherSupervisor({ transport, repositories, logger: log.child({ layer: 'watcher' }) });
    const cards = createBotCards({ authMode: 'password' });
    const sender = new ProactiveSender(localCloudAdapter(log), { appId: '', minIntervalMs: 0 }, log);
    const notifier = new CardNotifier({ repositories, installations, sender, renderCard: (r, view) => cards.invitation(r, view), summary: invitationSummary, log });
    repositories.notifications.onQueued(() => void notifier.kick());
    const watches = new WatchManager(supervisor, directory, installations, repositories, log);
    const services: BotServices = { repositories, installations, supervisor, watches, cards, log, demo: options.demo, invokeBudgetMs: options.invokeBudgetMs, storeHealth: options.storeHealth };
    const bot = new InvitationBot(services);
    return new BotHarness(sim, new SimAdmin(sim), connector, storage, repositories, installations, supervisor, watches, notifier, services, bot, log, transport);
  }

  async stop(): Promise<void> {
    await this.supervisor.stopAll();
    await this.notifier.stop();
    this.transport.close();
    await this.sim.stop();
    await this.connector.stop();
  }

  personalChat(user: TeamsUser): ConversationAccount {
    return { id: `a:personal-${user.aadObjectId}`, conversationType: 'personal', tenantId: TENANT, isGroup: false } as ConversationAccount;
  }

  /** An incoming activity from `user` in their personal chat with the bot (or `conversation`). */
  activity(user: TeamsUser, extra: Partial<Activity>): Partial<Activity> {
    return {
      channelId: 'msteams',
      serviceUrl: this.connector.url,
      from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
      recipient: BOT,
      conversation: this.personalChat(user),
      channelData: { tenant: { id: TENANT } },
      ...extra,
    };
  }

  install(user: TeamsUser, conversation = this.personalChat(user)) {
    return this.adapter.turn(this.activity(user, { type: ActivityTypes.InstallationUpdate, action: 'add', conversation }));
  }

  say(user: TeamsUser, text: string, conversation?: Partial<Activity>['conversation']) {
    return this.adapter.turn(this.activity(user, { type: ActivityTypes.Message, text, ...(conversation ? { conversation } : {}) }));
  }

  /** Presses an Action.Execute button: returns the invoke response the bot sent ({status, body}). */
  async invoke(user: TeamsUser, verb: string | undefined, data: Json, replyToId = 'card-activity-1'): Promise<{ status: number; body: { statusCode: number; type: string; value: Json } }> {
    const sent = await this.adapter.turn(
      this.activity(user, { type: ActivityTypes.Invoke, name: 'adaptiveCard/action', replyToId, value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' } }),
    );
    const response = sent.find((a) => a.type === 'invokeResponse');
    assert.ok(response, 'the bot answered the invoke');
    return response.value as never;
  }

  /** Installs `user` and waits until their watcher is connected to the simulator. */
  async installAndConnect(user: TeamsUser = ALEX): Promise<void> {
    await this.install(user);
    await untilWatcher(this.supervisor, 'the watcher to connect', () => (this.supervisor.status(user.aadObjectId)?.state === 'connected' ? true : undefined));
    // The application must be parked on the event channel before an invitation is sent, or it is not delivered.
    await poll('the application to be available', async () => {
      const apps = (await (await fetch(`${this.sim.origin}/_sim/applications?user=alexw@example.com`)).json()) as Array<{ madeAvailable: boolean; parked: boolean }>;
      return apps.some((a) => a.madeAvailable && a.parked) ? true : undefined;
    });
  }

  /** Sends an invitation through the simulator and waits for its record: [simulator id, record]. */
  async invitation(spec: Json): Promise<[string, InvitationRecord]> {
    const subject = (spec.subject as string) ?? `Invitation ${Math.random().toString(36).slice(2)}`;
    const simId = await this.admin.invite({ ...spec, subject });
    const record = await this.recordWhere(`the record of "${subject}"`, (r) => r.subject === subject);
    return [simId, record];
  }

  /** Waits (on the supervisor's change events) for a record of Alex's that matches. */
  recordWhere(what: string, match: (r: InvitationRecord) => boolean, accountId = ALEX.aadObjectId): Promise<InvitationRecord> {
    return untilWatcher(this.supervisor, what, async () => {
      const keys = await this.storage.keysWithPrefix('');
      const items = await this.storage.read(keys);
      return Object.values(items).find((v) => {
        const r = v as InvitationRecord;
        return typeof r?.invitationHref === 'string' && r.accountId === accountId.toLowerCase() && match(r);
      }) as InvitationRecord | undefined;
    });
  }

  /** Waits for the invitation record `id` to satisfy `match`. */
  recordState(id: string, match: (r: InvitationRecord) => boolean, what = 'the record to change'): Promise<InvitationRecord> {
    return untilWatcher(this.supervisor, what, async () => {
      const r = await this.repositories.invitations.get(id);
      return r && match(r) ? r : undefined;
    });
  }

  conversationReference(user: TeamsUser): Promise<Partial<ConversationReference> | undefined> {
    return this.installations.get(idOf(user)).then((i) => i?.reference);
  }
}
