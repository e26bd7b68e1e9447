// UCWA_AUTH=oauth end to end, over real HTTP everywhere: activities are POSTed to the bot's /api/messages (the real
// CloudAdapter and server), replies and proactive cards go to the fake Bot Connector, botbuilder's UserTokenClient
// talks to a fake Bot Framework token service (OAuthUrl), and the watcher signs in to the real UCWA simulator with
// the JWTs that service issues (the simulator trusts its HS256 secret).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Activity } from 'botbuilder';
import type http from 'node:http';
import { demoUsers, UcwaSimulator } from '../../src/simulator';
import { createRepositories, MemoryStorage } from '../../src/store';
import { NodeHttpTransport } from '../../src/ucwa/http';
import { WatcherSupervisor } from '../../src/watcher';
import { createAdapter } from '../../bot/adapter';
import { createBotCards, invitationSummary } from '../../bot/bot-cards';
import { CardNotifier } from '../../bot/card-notifier';
import { loadConfig, OAuthResourceMode } from '../../bot/config';
import { TeamsInstallations } from '../../bot/installations';
import { InvitationBot } from '../../bot/invitation-bot';
import { ProactiveSender } from '../../bot/proactive-sender';
import { createBotServer } from '../../bot/server';
import { SIGN_IN_AGAIN_TEXT, SignInPrompter } from '../../bot/sign-in-prompter';
import { SignedInAccounts } from '../../bot/signed-in-accounts';
import { UserTokens } from '../../bot/user-tokens';
import { WatchManager } from '../../bot/watch-manager';
import { FakeTokenService } from '../support/fake-token-service';
import { ALEX, idOf, BOT, cardHas, cardOf, ConnectorRequest, FakeConnector, poll, RecordingLogger, SimAdmin, TENANT, untilWatcher } from './helpers';

const SECRET = 'sim-trusts-this-hs256-secret';
const CONNECTION = 'sfb-sign-in';
const SSO_TOKEN = 'teams-sso-token-value';
const OAUTH_CARD = 'application/vnd.microsoft.card.oauth';

type Json = Record<string, unknown>;

class OAuthHarness {
  private seq = 0;

  private constructor(
    readonly sim: UcwaSimulator,
    readonly connector: FakeConnector,
    readonly tokens: FakeTokenService,
    readonly server: http.Server,
    readonly supervisor: WatcherSupervisor,
    readonly installations: TeamsInstallations,
    readonly notifier: CardNotifier,
    readonly log: RecordingLogger,
    private readonly transport: NodeHttpTransport,
    readonly userTokens: UserTokens,
  ) {}

  static async start(resource: OAuthResourceMode): Promise<OAuthHarness> {
    const sim = await new UcwaSimulator({ timeScale: 0.01, users: demoUsers(), jwt: { hs256Secret: SECRET } }).start();
    const connector = await FakeConnector.start();
    // TeamsInfo.getMember gives the UPN, which names the Skype account (sip:<upn>).
    connector.members.set(ALEX.id, { id: ALEX.id, name: ALEX.name, aadObjectId: ALEX.aadObjectId, userPrincipalName: 'AlexW@example.com' });
    const tokens = await FakeTokenService.start({ secret: SECRET, users: { [ALEX.id]: 'alexw@example.com' }, connectionResource: sim.origin, ssoToken: SSO_TOKEN });
    const config = loadConfig({ STORAGE_URL: 'memory:', UCWA_DISCOVERY_URL: sim.discoveryUrl, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: CONNECTION, UCWA_OAUTH_RESOURCE: resource, OAuthUrl: tokens.url });
    const log = new RecordingLogger();
    const storage = new MemoryStorage();
    const repositories = createRepositories(storage);
    const installations = new TeamsInstallations(storage);
    const transport = new NodeHttpTransport();
    const adapter = createAdapter(config, {}, log);
    const userTokens = new UserTokens(adapter, { appId: '', connection: CONNECTION, resource: config.oauthResource });
    // A short sign-in backoff: several retries happen while a test watches for the single prompt.
    const supervisor = new WatcherSupervisor({ transport, repositories, logger: log.child({ layer: 'watcher' }), timing: { authBackoff: { baseMs: 40, maxMs: 80 } } });
    const cards = createBotCards({ authMode: 'oauth' });
    const sender = new ProactiveSender(adapter, { appId: '', minIntervalMs: 0 }, log);
    const notifier = new CardNotifier({ repositories, installations, sender, renderCard: (r, view) => cards.invitation(r, view), summary: invitationSummary, log });
    repositories.notifications.onQueued(() => void notifier.kick());
    const watches = new WatchManager(supervisor, new SignedInAccounts(config.discovery!, userTokens), installations, repositories, log);
    const prompter = new SignInPrompter(supervisor, installations, userTokens, log);
    prompter.start();
    const bot = new InvitationBot({ repositories, installations, supervisor, watches, cards, log, signIn: { tokens: userTokens, prompter } });
    const server = createBotServer(adapter, bot, async () => ({ ready: true, checks: {} }), log);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    notifier.start();
    return new OAuthHarness(sim, connector, tokens, server, supervisor, installations, notifier, log, transport, userTokens);
  }

  async stop(): Promise<void> {
    this.server.close();
    await this.supervisor.stopAll();
    await this.notifier.stop();
    this.transport.close();
    await Promise.all([this.sim.stop(), this.connector.stop(), this.tokens.stop()]);
  }

  /** POSTs an activity from Alex's personal chat to /api/messages; returns the HTTP status and body. */
  async send(extra: Partial<Activity>): Promise<{ status: number; body: unknown }> {
    const activity = {
      id: `incoming-${++this.seq}`,
      channelId: 'msteams',
      serviceUrl: this.connector.url,
      from: { id: ALEX.id, name: ALEX.name, aadObjectId: ALEX.aadObjectId },
      recipient: BOT,
      conversation: { id: `a:personal-${ALEX.aadObjectId}`, conversationType: 'personal', tenantId: TENANT },
      channelData: { tenant: { id: TENANT } },
      ...extra,
    };
    const port = (this.server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(activity) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  say(text: string) {
    return this.send({ type: 'message', text });
  }

  verifyState(code: string) {
    return this.send({ type: 'invoke', name: 'signin/verifyState', value: { state: code } });
  }

  /** The texts and OAuth cards the bot posted to Alex's chat since `from` (an index into the connector's requests). */
  posted(from = 0): ConnectorRequest[] {
    return this.connector.requests.slice(from).filter((r) => r.kind === 'post');
  }

  state(): string | undefined {
    return this.supervisor.status(ALEX.aadObjectId)?.state;
  }

  waitForState(state: string): Promise<true> {
    return untilWatcher(this.supervisor, `the watcher to be ${state}`, () => (this.state() === state ? true : undefined), 15_000);
  }

  /** What the simulator received from Alex's watcher: [requests, how many were bearer-authenticated]. */
  async simRequests(): Promise<Array<{ path: string; auth: string; status?: number }>> {
    return (await (await fetch(`${this.sim.origin}/_sim/requests?user=alexw@example.com`)).json()) as Array<{ path: string; auth: string; status?: number }>;
  }

  async parked(): Promise<void> {
    await poll('the application to be parked on the event channel', async () => {
      const apps = (await (await fetch(`${this.sim.origin}/_sim/applications?user=alexw@example.com`)).json()) as Array<{ madeAvailable: boolean; parked: boolean }>;
      return apps.some((a) => a.madeAvailable && a.parked) ? true : undefined;
    });
  }

  /** No token the fake issued appears in a log line or in anything the bot sent to Teams. */
  assertNoTokenLeaked(): void {
    const seen = JSON.stringify(this.log.entries) + JSON.stringify(this.connector.requests);
    for (const t of this.tokens.issued) assert.ok(!seen.includes(t) && !seen.includes(t.split('.')[2]), 'a token leaked into a log line or a message');
    assert.ok(!seen.includes(SSO_TOKEN), 'the SSO token leaked');
  }
}

const oauthCards = (requests: ConnectorRequest[]) => requests.filter((r) => r.body.attachments?.some((a) => a.contentType === OAUTH_CARD));
const texts = (requests: ConnectorRequest[]) => requests.map((r) => r.body.text ?? '').filter(Boolean);

describe('UCWA_AUTH=oauth: per-user sign-in from the chat (token service per pool origin, getAadTokens)', function () {
  this.timeout(30_000);
  let h: OAuthHarness;

  before(async () => {
    h = await OAuthHarness.start('pool');
  });
  after(() => h?.stop());
  afterEach(() => h?.assertNoTokenLeaked());

  it('install: the welcome card offers Sign in; nothing is watched before the user signs in', async () => {
    const res = await h.send({ type: 'installationUpdate', action: 'add' });
    assert.equal(res.status, 200);
    const welcome = cardOf(h.posted().at(-1)?.body);
    assert.ok(cardHas(welcome, 'not linked'), 'not linked yet');
    assert.ok(JSON.stringify(welcome).includes('"verb":"connect"'), 'the Sign in button');
    assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
    assert.equal((await h.installations.get(idOf(ALEX)))?.upn, 'alexw@example.com', 'the UPN from TeamsInfo.getMember');
  });

  it('connect (and the Sign in button) answers with an OAuth card carrying the token service\'s sign-in link', async () => {
    for (const incoming of [{ type: 'message', text: 'connect' }, { type: 'message', value: { verb: 'connect' } }] as Array<Partial<Activity>>) {
      const before = h.connector.requests.length;
      await h.send(incoming);
      const [card] = oauthCards(h.posted(before));
      assert.ok(card, `an OAuth card for ${JSON.stringify(incoming)}: ${JSON.stringify(h.log.entries.filter((e) => e.level !== 'info').slice(-3))}`);
      const content = card.body.attachments![0].content as { connectionName: string; buttons: Array<{ type: string; value: string }>; tokenExchangeResource?: Json };
      assert.equal(content.connectionName, CONNECTION);
      assert.equal(content.buttons[0].type, 'signin');
      assert.match(content.buttons[0].value, new RegExp(`^${h.tokens.url}/signin\\?connection=${CONNECTION}&user=29%3Aalex-mri$`));
      assert.ok(content.tokenExchangeResource?.id, 'the SSO exchange resource is passed on');
    }
    // The bot first asked whether a token already exists (no code), then for the sign-in resource of its connection.
    const lookups = h.tokens.callsTo('/api/usertoken/GetToken');
    assert.ok(lookups.length >= 2 && lookups.every((c) => c.status === 404 && !c.query.code && c.query.connectionName === CONNECTION && c.query.userId === ALEX.id && c.query.channelId === 'msteams'));
    const resources = h.tokens.callsTo('/api/botsignin/GetSignInResource');
    assert.equal((resources[0].body as { connectionName: string }).connectionName, CONNECTION);
    assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
  });

  it('signin/verifyState with a wrong code: not signed in, the user is told, nothing is watched', async () => {
    const before = h.connector.requests.length;
    const res = await h.verifyState('000000');
    assert.equal(res.status, 404);
    assert.ok(texts(h.posted(before)).some((t) => /did not complete/.test(t)));
    assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
    assert.notEqual((await h.installations.get(idOf(ALEX)))?.signedIn, true);
  });

  it('signin/verifyState with the magic code: signed in, watching starts with JWTs per pool origin, an invitation becomes a card', async () => {
    const before = h.connector.requests.length;
    const code = h.tokens.completeSignIn(ALEX.id);
    const res = await h.verifyState(code);
    assert.equal(res.status, 200);
    assert.ok(texts(h.posted(before)).some((t) => t.startsWith('Signed in: I am watching your Skype for Business account alexw@example.com')), JSON.stringify(texts(h.posted(before))));
    assert.equal((await h.installations.get(idOf(ALEX)))?.signedIn, true);
    assert.ok(h.tokens.callsTo('/api/usertoken/GetToken').some((c) => c.query.code === code && c.status === 200), 'the code was redeemed');
    await h.waitForState('connected');
    await h.parked();

    const requests = await h.simRequests();
    assert.ok(requests.length > 3);
    assert.ok(requests.every((r) => r.auth === 'bearer'), 'every UCWA request carried a bearer JWT');
    assert.ok(!requests.some((r) => r.path.includes('/WebTicket/')), 'no password grant');
    const aad = h.tokens.callsTo('/api/usertoken/GetAadTokens');
    assert.ok(aad.length > 0);
    assert.deepEqual((aad[0].body as { resourceUrls: string[] }).resourceUrls, [h.sim.origin], 'the resource is the pool origin');

    const subject = 'Signed-in budget review';
    await new SimAdmin(h.sim).invite({ kind: 'onlineMeeting', subject });
    const post = await h.connector.waitFor('the invitation card', (rs) => rs.find((r) => r.kind === 'post' && cardHas(cardOf(r.body), subject)), 15_000);
    assert.equal(post.conversationId, `a:personal-${ALEX.aadObjectId}`);
  });

  it('the token is gone: the watcher goes authFailed and the user gets ONE sign-in card, whatever the retries; signing in again reconnects', async () => {
    const before = h.connector.requests.length;
    // The bot keeps no token: the next request (the next P-GET at the latest) asks the token service, which has none.
    h.tokens.forget(ALEX.id);
    await h.waitForState('authFailed');
    const failedLookups = () => h.tokens.callsTo('/api/usertoken/GetAadTokens').filter((c) => c.status === 404).length;
    const firstFailures = failedLookups();
    await poll('several sign-in retries', () => (failedLookups() >= firstFailures + 3 ? true : undefined), 300, 20);
    const prompts = oauthCards(h.posted(before));
    assert.equal(prompts.length, 1, 'one sign-in card, not one per retry');
    assert.equal((prompts[0].body.attachments![0].content as { text: string }).text, SIGN_IN_AGAIN_TEXT);
    assert.equal(prompts[0].conversationId, `a:personal-${ALEX.aadObjectId}`);
    assert.ok(h.log.has('info', 'asked the user to sign in again'));
    assert.equal((await h.installations.get(idOf(ALEX)))?.signInPrompted, true, 'the prompt is remembered');

    // A restarted process during the same failure: a fresh prompter, and the watcher starting over (connecting, then
    // authFailed again). No second card.
    const restarted = new SignInPrompter(h.supervisor, h.installations, h.userTokens, h.log);
    const unsubscribe = restarted.start();
    const config = h.supervisor.config(ALEX.aadObjectId)!;
    await h.supervisor.stop(ALEX.aadObjectId);
    h.supervisor.start(config);
    await h.waitForState('authFailed');
    const retried = failedLookups();
    await poll('more sign-in retries', () => (failedLookups() >= retried + 2 ? true : undefined), 300, 20);
    unsubscribe();
    assert.equal(oauthCards(h.posted(before)).length, 1, 'still one sign-in card after the restart');

    const res = await h.verifyState(h.tokens.completeSignIn(ALEX.id));
    assert.equal(res.status, 200);
    await h.waitForState('connected');
    await poll('the prompt mark to be cleared', async () => ((await h.installations.get(idOf(ALEX)))?.signInPrompted ? undefined : true), 100, 20);
  });

  it('a token the pool refuses also ends in authFailed with one prompt', async () => {
    const before = h.connector.requests.length;
    h.tokens.forge(ALEX.id);
    await h.waitForState('authFailed');
    // Each retry fetches a token again and the pool refuses it (the simulator cannot tell whose a forged token is).
    const issued = () => h.tokens.callsTo('/api/usertoken/GetAadTokens').filter((c) => c.status === 200).length;
    const first = issued();
    await poll('a few retries', () => (issued() >= first + 3 ? true : undefined), 300, 20);
    assert.equal(oauthCards(h.posted(before)).length, 1);
    h.tokens.forge(ALEX.id, false);
    await h.verifyState(h.tokens.completeSignIn(ALEX.id));
    await h.waitForState('connected');
  });

  it('disconnect signs the user out at the token service and stops watching', async () => {
    const before = h.connector.requests.length;
    await h.say('disconnect');
    const [signOut] = h.tokens.callsTo('/api/usertoken/SignOut');
    assert.ok(signOut, 'SignOut called');
    assert.equal(signOut.method, 'DELETE');
    assert.deepEqual([signOut.query.userId, signOut.query.connectionName, signOut.query.channelId], [ALEX.id, CONNECTION, 'msteams']);
    assert.equal(h.tokens.isSignedIn(ALEX.id), false);
    assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
    const installation = await h.installations.get(idOf(ALEX));
    assert.equal(installation?.signedIn, false);
    assert.ok(texts(h.posted(before)).some((t) => t.startsWith('Signed out')));
    // Help now says the account is not linked and offers the sign-in again.
    await h.say('help');
    assert.ok(cardHas(cardOf(h.posted(before).at(-1)?.body), 'not linked'));
  });
});

describe('UCWA_AUTH=oauth with the connection\'s own token (getUserToken) and Teams SSO', function () {
  this.timeout(30_000);
  let h: OAuthHarness;

  before(async () => {
    h = await OAuthHarness.start('connection');
  });
  after(() => h?.stop());
  afterEach(() => h?.assertNoTokenLeaked());

  it('signin/tokenExchange with a token the service refuses answers 412 (Teams falls back to the Sign in button)', async () => {
    await h.send({ type: 'installationUpdate', action: 'add' });
    const res = await h.send({ type: 'invoke', name: 'signin/tokenExchange', value: { id: 'x1', connectionName: CONNECTION, token: 'not-the-sso-token' } });
    assert.equal(res.status, 412);
    assert.equal((res.body as { connectionName: string }).connectionName, CONNECTION);
    assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
  });

  it('signin/tokenExchange with the SSO token signs the user in; the watcher uses GetToken\'s JWT', async () => {
    const res = await h.send({ type: 'invoke', name: 'signin/tokenExchange', value: { id: 'x2', connectionName: CONNECTION, token: SSO_TOKEN } });
    assert.equal(res.status, 200);
    await h.waitForState('connected');
    assert.equal(h.tokens.callsTo('/api/usertoken/GetAadTokens').length, 0, 'connection mode never asks per resource');
    assert.ok(h.tokens.callsTo('/api/usertoken/GetToken').some((c) => c.status === 200));
    assert.ok((await h.simRequests()).every((r) => r.auth === 'bearer'));
  });

  it('connect when the token service already holds a token: no card, just watching', async () => {
    const before = h.connector.requests.length;
    await h.say('connect');
    assert.equal(oauthCards(h.posted(before)).length, 0);
    assert.ok(texts(h.posted(before)).some((t) => t.startsWith('Signed in')));
    assert.equal(h.state(), 'connected');
  });
});
