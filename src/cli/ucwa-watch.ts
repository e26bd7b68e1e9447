#!/usr/bin/env node
// `ucwa-watch`: an administrator's probe. Signs one account in to a Skype for Business pool through UCWA, makes it
// available, and prints one JSON object per line for the session, each invitation event, each message of an
// accepted conversation and each action taken.
import { parseArgs } from 'node:util';
import { JsonLogger, silentLogger } from '../logger';
import { createRepositories, MemoryStorage, type SipAddress, sipAddressOf } from '../store';
import { PasswordTokenProvider } from '../ucwa/auth';
import { NodeHttpTransport } from '../ucwa/http';
import { WatcherSupervisor } from '../watcher';

const USAGE = `usage: ucwa-watch (--discovery URL | --domain DOMAIN) --sip sip:user@domain --username NAME --password-env VAR
                  [--accept | --decline | --reply TEXT] [--xml] [--phone NUMBER] [--verbose]
  --discovery     the autodiscover root, e.g. https://lyncdiscover.contoso.com
  --domain        or the SIP domain: lyncdiscoverinternal.<domain> then lyncdiscover.<domain> are tried
  --password-env  the name of the environment variable that holds the password (never pass it as an argument)
  --accept        accept every incoming invitation; --decline declines them (reason Local)
  --reply         accept every incoming IM, send TEXT in it, then leave
  --xml           ask the pool for XML instead of JSON
  --phone         a phone number for calls (acceptWithPhoneAudio)`;

export interface WatchArgs {
  discoveryUrl?: string;
  domain?: string;
  sip: SipAddress;
  username: string;
  password: string;
  action?: 'accept' | 'decline';
  /** Accept IMs, send this, leave. */
  reply?: string;
  xml: boolean;
  phone?: string;
  verbose: boolean;
}

export class UsageError extends Error {}

export function parseWatchArgs(argv: string[], env: NodeJS.ProcessEnv): WatchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        discovery: { type: 'string' },
        domain: { type: 'string' },
        sip: { type: 'string' },
        username: { type: 'string' },
        'password-env': { type: 'string' },
        accept: { type: 'boolean', default: false },
        decline: { type: 'boolean', default: false },
        reply: { type: 'string' },
        xml: { type: 'boolean', default: false },
        phone: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new UsageError('');
  if (!values.discovery === !values.domain) throw new UsageError('give exactly one of --discovery and --domain');
  if (values.discovery) {
    try {
      new URL(values.discovery);
    } catch {
      throw new UsageError(`--discovery is not a URL: ${values.discovery}`);
    }
  }
  const sip = sipAddressOf(values.sip);
  if (!sip) throw new UsageError('--sip must look like sip:user@domain');
  if (!values.username) throw new UsageError('--username is required');
  const passwordEnv = values['password-env'];
  if (!passwordEnv) throw new UsageError('--password-env is required (the name of an environment variable)');
  const password = env[passwordEnv];
  if (!password) throw new UsageError(`the environment variable ${passwordEnv} (from --password-env) is empty or not set`);
  if ([values.accept, values.decline, values.reply !== undefined].filter(Boolean).length > 1) throw new UsageError('--accept, --decline and --reply exclude each other');
  if (values.reply !== undefined && values.reply.trim() === '') throw new UsageError('--reply needs a text');
  return {
    discoveryUrl: values.discovery,
    domain: values.domain,
    sip,
    username: values.username,
    password,
    action: values.accept || values.reply !== undefined ? 'accept' : values.decline ? 'decline' : undefined,
    reply: values.reply,
    xml: values.xml,
    phone: values.phone,
    verbose: values.verbose,
  };
}

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function main(): Promise<number> {
  let args: WatchArgs;
  try {
    args = parseWatchArgs(process.argv.slice(2), process.env);
  } catch (err) {
    const msg = (err as Error).message;
    // One line for a mistake; the usage only when asked for.
    process.stderr.write(msg ? `ucwa-watch: ${msg} (--help shows the usage)\n` : `${USAGE}\n`);
    return msg ? 2 : 0;
  }
  const transport = new NodeHttpTransport();
  const repositories = createRepositories(new MemoryStorage());
  const supervisor = new WatcherSupervisor({ transport, repositories, logger: args.verbose ? new JsonLogger('debug') : silentLogger });
  let connectedOnce = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  supervisor.onStatus((s) => {
    print({ type: 'session', state: s.state, ...(s.lastError ? { error: s.lastError } : {}), ...(s.modalities.length ? { modalities: s.modalities } : {}) });
    if (s.state === 'connected') connectedOnce = true;
    // A probe must not retry forever before it ever worked: the first failure is the answer.
    if (!connectedOnce && (s.state === 'authFailed' || s.state === 'reconnecting')) {
      process.stderr.write(`ucwa-watch: sign-in failed: ${s.lastError ?? s.state}\n`);
      finish(1);
    }
  });
  // Messages of accepted conversations: printed in arrival order, each once (the store's relay entries).
  let printing = Promise.resolve();
  repositories.notifications.onQueued(() => {
    printing = printing.then(async () => {
      for (const { key, relay } of await repositories.messages.pendingRelays()) {
        const m = await repositories.messages.message(relay.messageId);
        if (m) print({ type: 'message', id: relay.invitationId, from: m.authorName ?? null, text: m.text });
        await repositories.messages.dropRelay(key);
      }
    });
  });
  const replyAndLeave = async (id: string, text: string) => {
    const sent = await supervisor.conversations.reply(id, `watch-${Date.now().toString(36)}`, text);
    print({ type: 'action', action: 'reply', id, ok: sent.kind === 'sent', result: sent.kind });
    const left = await supervisor.conversations.leave(id, 'user');
    print({ type: 'action', action: 'leave', id, ok: left.kind === 'left', result: left.kind });
  };
  supervisor.onChange((c) => {
    const r = c.record;
    print({
      type: 'invitation',
      // A lobby wait is reported by UCWA on the conversation; for the probe it is an update of the invitation.
      event: c.update.event === 'lobby' ? 'updated' : c.update.event,
      id: r.id,
      kind: r.kind,
      subject: r.subject ?? '',
      importance: r.importance,
      from: { name: r.from.name, uri: r.from.uri },
      state: r.state,
      outcome: c.update.outcome?.kind ?? null,
    });
    if (args.reply !== undefined && r.kind === 'messaging' && r.state === 'connected' && c.update.event === 'completed') void replyAndLeave(r.id, args.reply);
    if (args.action && c.update.event === 'started' && r.state === 'pending' && (args.reply === undefined || r.kind === 'messaging')) {
      void supervisor.act(r.id, args.action).then((result) => {
        print({ type: 'action', action: args.action, id: r.id, ok: result.kind === 'done', result: result.kind, ...('record' in result ? { state: result.record.state, reason: result.record.reason ?? null, serverReason: result.record.outcomeReason } : {}) });
      });
    }
  });

  supervisor.start({
    // The account is the SIP address itself (already normalised): there is no Teams user here.
    accountId: args.sip,
    sip: args.sip,
    discovery: args.discoveryUrl ? { discoveryUrl: args.discoveryUrl } : { domain: args.domain },
    tokens: new PasswordTokenProvider(transport, { username: args.username, password: args.password }),
    phoneNumber: args.phone,
    representation: args.xml ? 'xml' : 'json',
  });
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await done;
  await supervisor.stopAll();
  transport.close();
  return code;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`ucwa-watch: ${err.message}\n`);
      process.exit(1);
    },
  );
}
