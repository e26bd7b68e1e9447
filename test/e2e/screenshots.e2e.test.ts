// What a person sees: the real cards rendered by Microsoft 365 Agents Playground in Debian's Chromium, driven with
// playwright-core. Every state of the invitation card is captured, and Accept/Decline are clicked in the browser.
// With UPDATE_SCREENSHOTS=1 the pictures are written to docs/screenshots (the README shows them).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, chromium, Locator, Page } from 'playwright-core';
import { UcwaSimulator } from '../../src/simulator';
import { eventually, freePort } from '../support/ports';
import { Playground } from '../support/playground';
import { BotProcess } from './bot-process';

const ALEX = 'alexw@example.com';
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve(__dirname, '../../../docs/screenshots') : mkdtempSync(path.join(os.tmpdir(), 'shots-'));

// Flags for a headless Chromium on a machine with no network but the loopback.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('what a person sees: cards in Agents Playground, in Chromium', function () {
  this.timeout(120_000);
  let sim: UcwaSimulator;
  let bot: BotProcess;
  let pg: Playground;
  let browser: Browser;
  let page: Page;

  const invite = async (spec: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${sim.origin}/_sim/invitations`, {
      method: 'POST',
      body: JSON.stringify({ to: ALEX, from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' }, answerWindowSeconds: 100000, ...spec }),
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  };
  const simAct = async (id: string, verb: string) => assert.equal((await fetch(`${sim.origin}/_sim/invitations/${id}/${verb}`, { method: 'POST' })).status, 200);
  // The first match is the card in the chat; the playground may render a second copy (a new-message preview).
  const card = (marker: string): Locator => page.locator('.ac-adaptiveCard', { hasText: marker }).first();
  /** Waits until the card with `marker` shows `text`, then saves its picture. */
  const shoot = async (marker: string, text: string, file: string): Promise<void> => {
    const c = card(marker);
    await c.filter({ hasText: text }).waitFor({ timeout: 20_000 });
    await c.screenshot({ path: path.join(SHOTS, file), animations: 'disabled' });
  };
  const click = (marker: string, button: string) => card(marker).locator('button', { hasText: new RegExp(`^${button}$`) }).click();

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    sim = await new UcwaSimulator({ timeScale: 0.05 }).start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bot-shots-'));
    const accountsFile = path.join(dir, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify([{ teamsUser: ALEX, sip: `sip:${ALEX}`, passwordEnv: 'ALEX_PASSWORD', phoneNumber: '+14255550100' }]));
    const botPort = await freePort();
    bot = await BotProcess.start(botPort, {
      UCWA_DISCOVERY_URL: sim.discoveryUrl,
      UCWA_ACCOUNTS_FILE: accountsFile,
      ALEX_PASSWORD: 'demo',
      STORAGE_URL: `sqlite:${path.join(dir, 'bot.db')}`,
    });
    pg = await Playground.start(botPort);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    // Opening the chat installs the bot, as in Teams.
    await page.goto(pg.url);
    await card('Your account is linked').waitFor({ timeout: 30_000 });
    await eventually('the account to be watched', async () => {
      const apps = (await (await fetch(`${sim.origin}/_sim/applications?user=${ALEX}`)).json()) as Array<{ madeAvailable: boolean; parked: boolean }>;
      return apps.some((a) => a.madeAvailable && a.parked) ? true : undefined;
    });
  });

  after(async () => {
    await browser?.close();
    await bot?.kill();
    await pg?.stop();
    await sim?.stop();
  });

  it('shows the welcome card', async () => {
    await shoot('Your account is linked', 'Commands', 'welcome.png');
  });

  it('meeting: Urgent card, Accept clicked in the browser, lobby, joined', async () => {
    const id = await invite({
      kind: 'onlineMeeting',
      subject: 'Q3 budget review',
      importance: 'Urgent',
      onBehalfOf: { name: 'Lidia Holloway', uri: 'sip:lidiah@example.com' },
      message: 'We are starting now, can you join? We need your numbers for slide 4.',
      lobby: true,
    });
    await shoot('Q3 budget review', 'URGENT', 'meeting-pending.png');
    await click('Q3 budget review', 'Accept');
    await shoot('Q3 budget review', 'Waiting in the lobby', 'meeting-lobby.png');
    assert.equal(await card('Q3 budget review').locator('button', { hasText: /^Accept$/ }).count(), 0, 'no Accept button any more');
    await simAct(id, 'admit');
    await shoot('Q3 budget review', 'Joined', 'meeting-joined.png');
  });

  it('IM: Decline clicked in the browser', async () => {
    await invite({ kind: 'messaging', subject: 'Contoso proposal', from: { name: 'Adele Vance', uri: 'sip:adelev@example.com' }, message: 'Hi! Do you have 5 minutes for a quick question about the Contoso proposal?' });
    await shoot('Contoso proposal', 'Decline', 'im-pending.png');
    await click('Contoso proposal', 'Decline');
    await shoot('Contoso proposal', 'Declined', 'im-declined.png');
  });

  it('call from a federated partner, answered on the phone', async () => {
    await invite({ kind: 'audioVideo', subject: 'Delivery schedule', from: { name: 'Pradeep Gupta', uri: 'sip:pradeepg@fabrikam.example', sourceNetwork: 'Federated' } });
    await shoot('Delivery schedule', 'External', 'call-pending.png');
    await click('Delivery schedule', 'Answer on my phone');
    await shoot('Delivery schedule', 'Accepted', 'call-accepted.png');
  });

  it('accepting: the card says so while Skype for Business is slow', async () => {
    await invite({ kind: 'messaging', subject: 'Release checklist', from: { name: 'Lee Gu', uri: 'sip:leeg@example.com' } });
    await card('Release checklist').filter({ hasText: 'Accept' }).waitFor();
    // The pool takes longer than the invoke budget: the user sees "Accepting…" at once, the result follows.
    await fetch(`${sim.origin}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'delay', path: '/accept', seconds: 120 }) });
    await click('Release checklist', 'Accept');
    await shoot('Release checklist', 'Accepting', 'accepting.png');
    await shoot('Release checklist', 'Accepted', 'im-accepted.png');
  });

  it('the sender cancels; nobody answers; answered elsewhere; denied; failed; no longer available', async () => {
    const cancelled = await invite({ kind: 'onlineMeeting', subject: 'Design sync', from: { name: 'Diego Siciliani', uri: 'sip:diegos@example.com' } });
    await card('Design sync').waitFor();
    await simAct(cancelled, 'cancel');
    await shoot('Design sync', 'cancelled the invitation', 'cancelled.png');

    await invite({ kind: 'messaging', subject: 'Lunch?', from: { name: 'Grady Archie', uri: 'sip:gradya@example.com' }, answerWindowSeconds: 40 });
    await shoot('Lunch?', 'Missed', 'missed.png');

    const elsewhere = await invite({ kind: 'audioVideo', subject: 'Support escalation', from: { name: 'Nestor Wilke', uri: 'sip:nestorw@example.com' } });
    await card('Support escalation').waitFor();
    await simAct(elsewhere, 'answer-elsewhere');
    await shoot('Support escalation', 'another device', 'answered-elsewhere.png');

    const denied = await invite({ kind: 'onlineMeeting', subject: 'Board briefing', importance: 'Emergency', lobby: true, from: { name: 'Miriam Graham', uri: 'sip:miriamg@example.com' } });
    await card('Board briefing').filter({ hasText: 'Accept' }).waitFor();
    await click('Board briefing', 'Accept');
    await card('Board briefing').filter({ hasText: 'lobby' }).waitFor();
    await simAct(denied, 'deny');
    await shoot('Board briefing', 'denied entry', 'denied.png');

    const failed = await invite({ kind: 'onlineMeeting', subject: 'Vendor onboarding', from: { name: 'Lynne Robbins', uri: 'sip:lynner@example.com' } });
    await card('Vendor onboarding').waitFor();
    await simAct(failed, 'fail');
    await shoot('Vendor onboarding', 'Failed', 'failed.png');

    await invite({ kind: 'messaging', subject: 'Status report', from: { name: 'Isaiah Langer', uri: 'sip:isaiah@example.com' } });
    await card('Status report').filter({ hasText: 'Accept' }).waitFor();
    // The Skype application dies: the invitation can no longer be answered from here, and the card says so.
    await fetch(`${sim.origin}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'expireApplications', user: ALEX }) });
    await shoot('Status report', 'No longer available', 'ended.png');
  });

  it('shows the status card and the whole chat', async () => {
    await pg.say('status');
    await shoot('As of', 'invitations', 'status.png');
    await page.screenshot({ path: path.join(SHOTS, 'chat.png') });
  });
});
