// The bot killed (kill -9) while Teams holds the POST of a card, three times, then restarted: Teams cannot be asked
// whether a held POST arrived, so each crash may leave one copy of the card the bot knows nothing of. What must hold:
// at most one extra copy per crash, every copy refreshes itself for the invitee, and a click or a refresh on any copy
// answers with the card as it is now (a stale copy's Accept does nothing at the pool once the invitation ended).
// The bot is a real process on a SQLite file; Teams is a local Bot Connector stand-in that can hold a POST.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TeamsInstallations } from '../../bot/installations';
import { accountIdOf, SqliteStorage } from '../../src/store';
import { UcwaSimulator, demoUsers } from '../../src/simulator';
import { cardHas, cardOf, ConnectorRequest, executeActions, FakeConnector } from '../bot/helpers';
import { eventually, freePort } from '../support/ports';
import { BotProcess } from './bot-process';

type Json = Record<string, unknown>;

const ALEX = 'alexw@example.com';
const ALEX_AAD = 'aaaaaaaa-1111-4111-8111-00000000a1e5';
const ALEX_MRI = '29:alex-mri';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CONVERSATION = `a:personal-${ALEX_AAD}`;
const SUBJECT = 'Posted while the bot crashed';
const CRASHES = 3;

describe('end to end: kill -9 while a card POST is held, three times', function () {
  this.timeout(120_000);
  let sim: UcwaSimulator;
  let connector: FakeConnector;
  let bot: BotProcess | undefined;
  let env: Record<string, string>;
  let port: number;
  /** Every POST of the card that reached Teams, held or answered: each may be a copy in the chat. */
  const attempts: ConnectorRequest[] = [];

  before(async () => {
    sim = await new UcwaSimulator({ timeScale: 0.05, users: demoUsers() }).start();
    connector = await FakeConnector.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bot-crash-post-'));
    const dbFile = path.join(dir, 'bot.db');
    const seed = new SqliteStorage(dbFile);
    await new TeamsInstallations(seed).saveReference(accountIdOf(ALEX_AAD)!, {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: CONVERSATION, conversationType: 'personal', isGroup: false, name: '', tenantId: TENANT },
      bot: { id: '28:bot', name: 'Skype invitations' },
      user: { id: ALEX_MRI, name: 'Alex Wilber', aadObjectId: ALEX_AAD },
    }, { upn: accountIdOf(ALEX) });
    await seed.close();
    const accountsFile = path.join(dir, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify([{ teamsUser: ALEX, sip: `sip:${ALEX}`, username: ALEX, passwordEnv: 'ALEX_SFB_PASSWORD' }]));
    env = { UCWA_DISCOVERY_URL: sim.discoveryUrl, UCWA_AUTH: 'password', UCWA_ACCOUNTS_FILE: accountsFile, ALEX_SFB_PASSWORD: 'demo', STORAGE_URL: `sqlite:${dbFile}` };
    port = await freePort();
    connector.on('request', (r: ConnectorRequest) => {
      if (r.kind === 'post' && r.status < 300 && cardHas(cardOf(r.body), SUBJECT)) attempts.push(r);
    });
  });

  after(async () => {
    await bot?.kill();
    await connector?.stop();
    await sim?.stop();
  });

  /** The next POST is held (never answered) until the process dies; resolves when it arrives. */
  function holdNextPost(): Promise<void> {
    return new Promise((arrived) => {
      connector.respondNext('post', {
        status: 201,
        meanwhile: (request) => {
          attempts.push(request);
          arrived();
          return new Promise<void>(() => undefined);
        },
      });
    });
  }

  /** An invoke from Alex on the copy `replyToId`, as Teams sends it; returns the invoke response. */
  async function invoke(verb: string, invitationId: string, replyToId: string): Promise<{ statusCode: number; type: string; value: Json }> {
    const res = await fetch(`http://127.0.0.1:${port}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: `invoke-${Math.random().toString(36).slice(2)}`,
        timestamp: new Date().toISOString(),
        channelId: 'msteams',
        serviceUrl: connector.url,
        from: { id: ALEX_MRI, name: 'Alex Wilber', aadObjectId: ALEX_AAD },
        recipient: { id: '28:bot', name: 'Skype invitations' },
        conversation: { id: CONVERSATION, conversationType: 'personal', tenantId: TENANT },
        channelData: { tenant: { id: TENANT } },
        replyToId,
        value: { action: { type: 'Action.Execute', verb, data: { invitationId, verb } }, trigger: verb === 'refresh' ? 'automatic' : 'manual' },
      }),
    });
    const body = (await res.json()) as { statusCode: number; type: string; value: Json };
    assert.equal(res.status, body.statusCode);
    return body;
  }

  it(`leaves at most ${CRASHES} extra copies, and every copy shows and acts on the current state`, async () => {
    let held = holdNextPost();
    bot = await BotProcess.start(port, env);
    await eventually('the watcher to be parked on the event channel', async () => {
      const apps = (await (await fetch(`${sim.origin}/_sim/applications?user=${ALEX}`)).json()) as Array<{ madeAvailable: boolean; parked: boolean }>;
      return apps.some((a) => a.madeAvailable && a.parked) ? true : undefined;
    });
    const created = await fetch(`${sim.origin}/_sim/invitations`, {
      method: 'POST',
      body: JSON.stringify({ to: ALEX, kind: 'messaging', from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' }, subject: SUBJECT, answerWindowSeconds: 100_000 }),
    });
    const simId = ((await created.json()) as { id: string }).id;
    for (let crash = 1; crash <= CRASHES; crash++) {
      await held;
      await bot.kill();
      held = crash < CRASHES ? holdNextPost() : Promise.resolve();
      bot = await BotProcess.start(port, env);
    }
    const stored = await eventually('the card to be posted and its id stored', () => attempts.find((r) => r.id));
    assert.ok(attempts.length <= 1 + CRASHES, `${attempts.length} copies for ${CRASHES} crashes`);
    assert.equal(attempts.filter((r) => r.id).length, 1, 'one post completed');
    for (const copy of attempts) {
      assert.deepEqual((cardOf(copy.body)?.refresh as { userIds?: string[] } | undefined)?.userIds, [ALEX_MRI], 'every copy refreshes itself for Alex');
    }
    const invitationId = executeActions(cardOf(stored.body)).find((a) => a.verb === 'accept')?.data.invitationId as string;
    assert.ok(invitationId);
    assert.match(bot.log, /an earlier post of this card may have reached Teams/);

    // The copies the crashes may have left: Teams would know their ids; the bot never did.
    const copies = [stored.id!, ...attempts.filter((r) => !r.id).map((_r, i) => `lost-copy-${i + 1}`)];
    for (const id of copies) {
      const shown = await invoke('refresh', invitationId, id);
      assert.equal(shown.type, 'application/vnd.microsoft.card.adaptive');
      assert.deepEqual(executeActions(shown.value).map((a) => a.verb), ['accept', 'decline'], `copy ${id} shows the pending card`);
    }

    // The invitation moves on: the one stored card is updated, no copy is posted again, and every copy follows.
    const cancelled = await fetch(`${sim.origin}/_sim/invitations/${simId}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 200);
    await eventually('the stored card to be updated to cancelled', () =>
      connector.updates(CONVERSATION).find((u) => u.activityId === stored.id && cardHas(cardOf(u.body), 'cancelled the invitation')),
    );
    for (const id of copies) {
      const clicked = await invoke('accept', invitationId, id);
      assert.equal(clicked.statusCode, 200);
      assert.ok(cardHas(clicked.value, 'cancelled the invitation'), `copy ${id}: the click answers with the current card`);
      assert.equal(executeActions(clicked.value).length, 0, `copy ${id}: no buttons left`);
    }
    const pool = (await (await fetch(`${sim.origin}/_sim/invitations/${simId}`)).json()) as { actions: unknown[] };
    assert.equal(pool.actions.length, 0, 'no click on a stale copy reached the pool');
    assert.ok(attempts.length <= 1 + CRASHES, 'no copy was posted after the restart completed its post');
  });
});
