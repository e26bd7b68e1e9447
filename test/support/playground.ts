// Drives Microsoft 365 Agents Playground (the local Teams client and Bot Connector) from tests through its
// undocumented local endpoints, all in this one file so a change of the tool stays contained. What the bot sent is
// read from the playground's activity log.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort } from './ports';

export interface PlaygroundUser {
  id: string;
  name: string;
  userPrincipleName: string;
  aadObjectId: string;
}

export interface SentActivity {
  /** The activity id the playground assigned (post) or the id updated (PUT). */
  id: string;
  kind: 'post' | 'update';
  conversationId: string;
  body: {
    type?: string;
    text?: string;
    summary?: string;
    attachments?: Array<{ contentType: string; content: Record<string, unknown> }>;
  };
}

export class Playground {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly logFile: string,
    readonly currentUser: PlaygroundUser,
    readonly users: PlaygroundUser[],
    readonly personalChatId: string,
    readonly groupChatId: string,
    readonly botAccount: { id: string; name: string },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(botPort: number): Promise<Playground> {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'playground-'));
    const logFile = path.join(dir, 'playground.log');
    const cli = path.join(path.dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
    const child = spawn(process.execPath, [cli, '-e', `http://127.0.0.1:${botPort}/api/messages`, '-c', 'msteams', '-p', String(port), '--disable-telemetry'], {
      cwd: dir,
      env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', M365_AGENTS_PLAYGROUND_LOGFILE: logFile },
      stdio: 'ignore',
    });
    const config = await eventually('the playground to answer', async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/_internal/v1/testConfig`);
        return res.ok ? ((await res.json()) as { config: { currentUser: PlaygroundUser; users: PlaygroundUser[]; personalChat: { id: string }; groupChats: Array<{ id: string }>; bot: { id: string; name: string } } }).config : undefined;
      } catch {
        return undefined;
      }
    }, 300, 100);
    return new Playground(port, child, logFile, config.currentUser, config.users, config.personalChat.id, config.groupChats[0]?.id ?? '', config.bot);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }

  private async post(pathname: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.url}${pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Keep the text.
    }
    return { status: res.status, body: parsed };
  }

  /** Installs the bot in the personal chat: the bot gets installationUpdate (add). */
  async install(conversationId = this.personalChatId): Promise<void> {
    const r = await this.post(`/_debug/conversation/${conversationId}/installation`, {});
    if (r.status >= 300) throw new Error(`install failed: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** The user types `text`; outside the personal chat the bot is @mentioned, as Teams requires there. */
  async say(text: string, userId = this.currentUser.id, conversationId = this.personalChatId): Promise<void> {
    const personal = conversationId === this.personalChatId;
    const mention = `<at>${this.botAccount.name}</at>`;
    const body = personal
      ? { from: { id: userId }, text, textFormat: 'plain' }
      : { from: { id: userId }, text: `${mention} ${text}`, textFormat: 'plain', entities: [{ type: 'mention', text: mention, mentioned: { id: this.botAccount.id, name: this.botAccount.name } }] };
    const r = await this.post(`/_conversation/v1/conversations/${conversationId}/messages`, body);
    if (r.status >= 300) throw new Error(`message failed: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** Presses an Action.Execute button on the card `replyToId`: returns the bot's invoke answer. */
  invoke(verb: string, data: Record<string, unknown>, replyToId: string, userId = this.currentUser.id, conversationId = this.personalChatId) {
    return this.post('/_conversation/v1/invoke', {
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
      from: { id: userId },
      conversation: { id: conversationId },
      replyToId,
    });
  }

  /** Presses an Action.Submit button: the bot gets a message with `value`. */
  submit(value: Record<string, unknown>, replyToId: string, userId = this.currentUser.id, conversationId = this.personalChatId) {
    return this.post('/_conversation/v1/submit', { conversation: { id: conversationId }, from: { id: userId }, replyToId, value });
  }

  /** Everything the bot posted or updated, in order. */
  sent(): SentActivity[] {
    if (!existsSync(this.logFile)) return [];
    const out: SentActivity[] = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      const i = line.indexOf('{"logAction":"appendLog"');
      if (i < 0) continue;
      let entry: { log?: { from?: string; conversationId?: string; messageId?: string; request?: { body?: SentActivity['body'] & { id?: string } }; response?: { statusCode?: number; body?: { id?: string } } } };
      try {
        entry = JSON.parse(line.slice(i));
      } catch {
        continue;
      }
      const log = entry.log;
      if (!log || log.from !== 'User Application' || !log.request?.body) continue;
      if ((log.response?.statusCode ?? 500) >= 300) continue;
      // A post answers 201 with a new id; an update (PUT) answers 200 with the id it replaced.
      const isUpdate = log.response?.statusCode === 200;
      out.push({
        id: log.response?.body?.id ?? log.messageId ?? log.request.body.id ?? '',
        kind: isUpdate ? 'update' : 'post',
        conversationId: log.conversationId ?? '',
        body: log.request.body,
      });
    }
    return out;
  }

  /** The latest version of each card the bot sent (posts merged with their updates), by activity id. */
  cards(): Map<string, Record<string, unknown>> {
    const cards = new Map<string, Record<string, unknown>>();
    for (const a of this.sent()) {
      const card = a.body.attachments?.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
      if (card) cards.set(a.id, card);
    }
    return cards;
  }

  waitForSent<T>(what: string, pick: (sent: SentActivity[]) => T | undefined, attempts = 200): Promise<T> {
    return eventually(what, () => pick(this.sent()), attempts, 50);
  }
}
