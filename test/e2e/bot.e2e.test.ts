// End to end with the real parts: the bot as a process, the UCWA simulator over HTTP, and Microsoft 365 Agents
// Playground as the Teams channel. What the user sees is read from the cards the bot sent to the playground.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UcwaSimulator, demoUsers } from '../../src/simulator';
import { eventually, freePort } from '../support/ports';
import { Playground } from '../support/playground';
import { BotProcess } from './bot-process';

const PASSWORD = 'E2e-Secret-Pa55!';
const ALEX = 'alexw@example.com';
const MEGAN = { name: 'Megan Bowen', uri: 'sip:meganb@example.com', sourceNetwork: 'SameEnterprise' };

type Json = Record<string, unknown>;

function walk(node: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Json);
    Object.values(node).forEach((v) => walk(v, visit));
  }
}

function texts(card: unknown): string[] {
  const out: string[] = [];
  walk(card, (n) => {
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(n.text);
    if (n.type === 'FactSet') for (const f of (n.facts as Array<{ title: string; value: string }>) ?? []) out.push(`${f.title} ${f.value}`);
  });
  return out;
}

function executeActions(card: unknown): Array<{ verb: string; data: Json }> {
  const out: Array<{ verb: string; data: Json }> = [];
  // The buttons a person can press: the card's `refresh` action is Teams', not the user's.
  const { refresh: _refresh, ...buttons } = (card ?? {}) as Json;
  walk(buttons, (n) => {
    if (n.type === 'Action.Execute') out.push({ verb: n.verb as string, data: n.data as Json });
  });
  return out;
}

const has = (card: unknown, text: string) => texts(card).some((t) => t.includes(text));

class SimAdmin {
  constructor(private readonly sim: UcwaSimulator) {}
  async invite(spec: Json): Promise<string> {
    const res = await fetch(`${this.sim.origin}/_sim/invitations`, { method: 'POST', body: JSON.stringify({ to: ALEX, from: MEGAN, answerWindowSeconds: 100000, ...spec }) });
    const body = (await res.json()) as { id: string; deliveredTo: string[] };
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.equal(body.deliveredTo.length, 1, 'delivered to the bot\'s application');
    return body.id;
  }
  async get(id: string): Promise<{ state: string; clientAction: string | null; declineReason?: string; actions: Array<{ action: string; status: number }> }> {
    return (await fetch(`${this.sim.origin}/_sim/invitations/${id}`)).json() as never;
  }
  /** Requests the pool received, by method and path fragment. */
  async requests(method: string, fragment: string): Promise<Array<{ method: string; path: string; status: number }>> {
    return (await fetch(`${this.sim.origin}/_sim/requests?method=${method}&path=${encodeURIComponent(fragment)}`)).json() as never;
  }
  async act(id: string, verb: 'cancel' | 'admit' | 'deny' | 'answer-elsewhere'): Promise<void> {
    const res = await fetch(`${this.sim.origin}/_sim/invitations/${id}/${verb}`, { method: 'POST' });
    assert.equal(res.status, 200, `${verb}: ${await res.text()}`);
  }
}

describe('end to end: bot process + UCWA simulator + Agents Playground', function () {
  this.timeout(60_000);
  let sim: UcwaSimulator;
  let admin: SimAdmin;
  let pg: Playground;
  let bot: BotProcess;
  let env: Record<string, string>;
  let botPort: number;

  /** The latest version of the card whose texts include `marker`. */
  const cardWith = (marker: string, extra?: (card: Json) => boolean) =>
    eventually(`a card with "${marker}"`, () => {
      for (const [id, card] of pg.cards()) if (has(card, marker) && (!extra || extra(card))) return { id, card };
      return undefined;
    });
  const cardById = (id: string, until: (card: Json) => boolean, what: string) =>
    eventually(what, () => {
      const card = pg.cards().get(id);
      return card && until(card) ? card : undefined;
    });
  const postsOf = (marker: string) => pg.sent().filter((a) => a.kind === 'post' && a.body.attachments?.some((x) => has(x.content, marker))).length;

  before(async () => {
    const users = demoUsers().map((u) => (u.upn === ALEX ? { ...u, password: PASSWORD } : u));
    // Scaled time: the simulator's P-GET hold, idle and answer windows run 20x faster than real.
    sim = await new UcwaSimulator({ timeScale: 0.05, users }).start();
    admin = new SimAdmin(sim);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bot-e2e-'));
    const accountsFile = path.join(dir, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify([{ teamsUser: ALEX, sip: `sip:${ALEX}`, username: ALEX, passwordEnv: 'ALEX_SFB_PASSWORD', phoneNumber: '+14255550100' }]));
    botPort = await freePort();
    env = {
      UCWA_DISCOVERY_URL: sim.discoveryUrl,
      UCWA_AUTH: 'password',
      UCWA_ACCOUNTS_FILE: accountsFile,
      ALEX_SFB_PASSWORD: PASSWORD,
      STORAGE_URL: `sqlite:${path.join(dir, 'bot.db')}`,
    };
    bot = await BotProcess.start(botPort, env);
    pg = await Playground.start(botPort);
    await pg.install();
    await cardWith('Your account is linked');
    await eventually('the watcher to make the account available', async () => {
      const apps = (await (await fetch(`${sim.origin}/_sim/applications?user=${ALEX}`)).json()) as Array<{ madeAvailable: boolean; parked: boolean }>;
      return apps.some((a) => a.madeAvailable && a.parked) ? true : undefined;
    });
  });

  after(async () => {
    await bot?.kill();
    await pg?.stop();
    await sim?.stop();
  });

  it('meeting invitation -> card -> Accept -> lobby -> admit -> joined', async () => {
    const id = await admin.invite({ kind: 'onlineMeeting', subject: 'E2E budget review', importance: 'Urgent', lobby: true, message: 'Join us please' });
    const { id: activityId, card } = await cardWith('E2E budget review');
    assert.ok(has(card, 'URGENT'));
    assert.ok(has(card, 'Megan Bowen'));
    assert.ok(has(card, 'Join us please'));
    const accept = executeActions(card).find((a) => a.verb === 'accept');
    assert.ok(accept, 'the card offers Accept');
    assert.deepEqual(Object.keys(accept.data).sort(), ['invitationId', 'verb']);

    const res = await pg.invoke('accept', accept.data, activityId);
    assert.equal(res.status, 200);
    assert.equal((res.body as Json).type, 'application/vnd.microsoft.card.adaptive');
    assert.equal(executeActions((res.body as Json).value).length, 0, 'no buttons once accepted');

    await eventually('the simulator to see the accept', async () => ((await admin.get(id)).clientAction === 'accept' ? true : undefined));
    await cardById(activityId, (c) => has(c, 'Waiting in the lobby'), 'the lobby card');
    await admin.act(id, 'admit');
    await cardById(activityId, (c) => has(c, 'Joined'), 'the joined card');
    assert.equal(postsOf('E2E budget review'), 1, 'one invitation, one card');
  });

  it('Decline sends reason Local and the card says declined', async () => {
    const id = await admin.invite({ kind: 'messaging', subject: 'E2E quick question', message: 'Got a minute?' });
    const { id: activityId, card } = await cardWith('E2E quick question');
    const decline = executeActions(card).find((a) => a.verb === 'decline')!;
    const res = await pg.invoke('decline', decline.data, activityId);
    assert.equal(res.status, 200);
    await eventually('the simulator to see the decline', async () => {
      const s = await admin.get(id);
      return s.clientAction === 'decline' && s.declineReason === 'Local' ? true : undefined;
    });
    await cardById(activityId, (c) => has(c, 'Declined'), 'the declined card');
  });

  it('the sender cancels before anyone clicks', async () => {
    const id = await admin.invite({ kind: 'onlineMeeting', subject: 'E2E cancelled sync' });
    const { id: activityId } = await cardWith('E2E cancelled sync');
    await admin.act(id, 'cancel');
    const card = await cardById(activityId, (c) => has(c, 'cancelled the invitation'), 'the cancelled card');
    assert.equal(executeActions(card).length, 0);
  });

  it('nobody answers: the card says missed', async () => {
    await admin.invite({ kind: 'messaging', subject: 'E2E unanswered ping', answerWindowSeconds: 40 });
    const { id: activityId } = await cardWith('E2E unanswered ping');
    await cardById(activityId, (c) => has(c, 'Missed'), 'the missed card');
  });

  it('two clicks reach Skype for Business once', async () => {
    const id = await admin.invite({ kind: 'messaging', subject: 'E2E double click' });
    const { id: activityId, card } = await cardWith('E2E double click');
    const accept = executeActions(card).find((a) => a.verb === 'accept')!;
    const [a, b] = await Promise.all([pg.invoke('accept', accept.data, activityId), pg.invoke('accept', accept.data, activityId)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    await cardById(activityId, (c) => has(c, 'Accepted'), 'the accepted card');
    const s = await admin.get(id);
    assert.equal(s.actions.filter((x) => x.action === 'accept').length, 1, 'exactly one accept reached the pool');
  });

  it('a click by another user is refused and calls nothing', async () => {
    const id = await admin.invite({ kind: 'messaging', subject: 'E2E not yours' });
    const { id: activityId, card } = await cardWith('E2E not yours');
    const accept = executeActions(card).find((a) => a.verb === 'accept')!;
    // Teams only lets chat members press the button, so the forgery comes straight to the bot's endpoint: Megan's
    // identity, Alex's invitation id.
    const megan = pg.users.find((u) => u.userPrincipleName === 'meganb@example.com')!;
    const res = await fetch(`http://127.0.0.1:${botPort}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: 'forged-1',
        channelId: 'msteams',
        serviceUrl: `${pg.url}/_connector`,
        from: { id: megan.id, aadObjectId: megan.aadObjectId, name: megan.name },
        recipient: pg.botAccount,
        conversation: { id: pg.personalChatId, conversationType: 'personal' },
        replyToId: activityId,
        value: { action: { type: 'Action.Execute', verb: 'accept', data: accept.data }, trigger: 'manual' },
      }),
    });
    const body = (await res.json()) as { statusCode?: number; type?: string };
    // (Through the playground, as in Teams, a user outside the chat cannot press it at all: 400 UserNotFound.)
    const viaPlayground = await pg.invoke('accept', accept.data, activityId, megan.id);
    assert.equal((viaPlayground.body as { code?: string }).code, 'UserNotFound');
    assert.equal(body.statusCode, 403);
    assert.equal(body.type, 'application/vnd.microsoft.error');
    const s = await admin.get(id);
    assert.equal(s.clientAction, null, 'nothing reached the pool');
    assert.equal(s.state, 'ringing');
  });

  it('a forged invitation id is refused with an error answer, and nothing reaches the pool', async () => {
    const { id: activityId } = await cardWith('E2E budget review');
    const before = (await admin.requests('POST', '/accept')).length;
    // The playground passes the bot's error answer on as a 502 with the bot's own answer inside.
    const botAnswer = (res: { status: number; body: unknown }) => {
      const inner = (res.body as { innerHttpError?: { statusCode: number; body: { type: string; value: { code: string } } } }).innerHttpError;
      assert.ok(inner, `an error answer from the bot: ${JSON.stringify(res)}`);
      assert.equal(inner.body.type, 'application/vnd.microsoft.error');
      return { status: inner.statusCode, code: inner.body.value.code };
    };
    const unknown = await pg.invoke('accept', { invitationId: 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB', verb: 'accept' }, activityId);
    assert.deepEqual(botAnswer(unknown), { status: 404, code: 'NotFound' });
    const url = await pg.invoke('accept', { invitationId: 'https://evil.example/accept', verb: 'accept' }, activityId);
    assert.deepEqual(botAnswer(url), { status: 400, code: 'BadRequest' });
    const verb = await pg.invoke('transfer', { invitationId: 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB', verb: 'transfer' }, activityId);
    assert.deepEqual(botAnswer(verb), { status: 400, code: 'BadRequest' });
    assert.equal((await admin.requests('POST', '/accept')).length, before, 'no accept reached the pool');
  });

  it('an audio/video call is answered on the configured phone', async () => {
    const id = await admin.invite({ kind: 'audioVideo', subject: 'E2E call', from: { name: 'Pradeep Gupta', uri: 'sip:pradeepg@fabrikam.example', sourceNetwork: 'Federated' } });
    const { id: activityId, card } = await cardWith('E2E call');
    assert.ok(texts(card).some((t) => /federated|external/i.test(t)), 'a federated caller is marked');
    const accept = executeActions(card).find((a) => a.verb === 'accept')!;
    const res = await pg.invoke('accept', accept.data, activityId);
    assert.equal(res.status, 200);
    await eventually('acceptWithPhoneAudio at the pool', async () => ((await admin.get(id)).clientAction === 'acceptWithPhoneAudio' ? true : undefined));
    await cardById(activityId, (c) => has(c, 'Accepted'), 'the accepted call card');
  });

  it('the bot killed and restarted on the same SQLite file loses no invitation and posts no card twice', async () => {
    await admin.invite({ kind: 'messaging', subject: 'E2E before the crash' });
    await cardWith('E2E before the crash');
    await bot.kill();
    // Arrives while the bot is down: the pool keeps it in the application's event queue.
    await admin.invite({ kind: 'onlineMeeting', subject: 'E2E during the crash' });
    bot = await BotProcess.start(botPort, env);
    const { id: activityId, card } = await cardWith('E2E during the crash');
    assert.ok(executeActions(card).some((a) => a.verb === 'accept'));
    assert.ok(activityId);
    assert.equal(postsOf('E2E before the crash'), 1, 'the card from before the crash was not posted again');
    assert.equal(postsOf('E2E during the crash'), 1);
  });

  it('Ctrl-C signs the account out: the bot deletes its UCWA application and exits 0', async () => {
    const code = await bot.stop();
    assert.equal(code, 0, bot.log.slice(-2000));
    const deletes = await admin.requests('DELETE', '/applications/');
    assert.ok(deletes.some((r) => r.status === 204), `the application was deleted at the pool: ${JSON.stringify(deletes)}`);
    const apps = (await (await fetch(`${sim.origin}/_sim/applications?user=${ALEX}`)).json()) as unknown[];
    assert.deepEqual(apps, [], 'no application left behind');
  });

  it('never logs the password or a token', () => {
    assert.ok(bot.log.length > 0);
    assert.ok(!bot.log.includes(PASSWORD), 'password in the log');
    assert.ok(!/cwt=[A-Za-z0-9_-]{8}/.test(bot.log), 'token in the log');
  });
});
