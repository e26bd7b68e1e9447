// The process entry point and composition root: configuration, storage, the watcher, the Teams bot and the HTTP
// server. With no Skype for Business configured it runs the local demo (simulator + Agents Playground).
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { JsonLogger } from '../src/logger';
import { FencedStorage, openOwnershipStore, PartitionMap, PartitionOwner } from '../src/ownership';
import { createRepositories, HealthReportingStorage, openStorage, StorageConfigError, StoreHealth, storedAccountId, StoreWriteProbe } from '../src/store';
import { NodeHttpTransport } from '../src/ucwa/http';
import { WatcherSupervisor } from '../src/watcher';
import { AccountDirectory } from './account-directory';
import { demoAccountsFileNotice, loadAccountsFile } from './accounts';
import { createAdapter } from './adapter';
import { createBotCards, invitationSummary } from './bot-cards';
import { CardNotifier } from './card-notifier';
import { MessageRelay } from './message-relay';
import { IdleConversationSweeper } from './idle-conversations';
import { ConfigError, loadConfig } from './config';
import { ConnectionNotices } from './connection-notices';
import { DemoEnvironment } from './demo';
import { routeLibraryConsole } from './http/library-console';
import { RejectionLog } from './http/rejection-log';
import { TeamsInstallations } from './installations';
import { InvitationBot } from './invitation-bot';
import { choosePlaygroundPort, PlaygroundProcess, startPlayground } from './playground';
import { OwnedAccounts } from './owned-accounts';
import { ProactiveSender } from './proactive-sender';
import { BotReadiness } from './readiness';
import { createBotServer } from './server';
import { SignInPrompter } from './sign-in-prompter';
import { SignedInAccounts } from './signed-in-accounts';
import { UserTokens } from './user-tokens';
import { AccountSource, WatchManager } from './watch-manager';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const log = new JsonLogger(config.logLevel);
  // From here on every line on stderr is one JSON object, library output included (rate-limited like refusals).
  const rejections = new RejectionLog(log);
  routeLibraryConsole(rejections);
  const playgroundPort = config.demo?.playground ? await choosePlaygroundPort(config.demo.playgroundPort) : undefined;
  if (config.demo?.playground && playgroundPort === undefined) {
    throw new ConfigError('DEMO_PLAYGROUND_PORT', `port ${config.demo.playgroundPort} is in use; choose a free one, 0 for any (or DEMO_PLAYGROUND=off)`);
  }
  // Every write reports to storeHealth: readiness, the status command and the log say when the store refuses them.
  const storeHealth = new StoreHealth({ log });
  const storage = new HealthReportingStorage(await openStorage(config.storageUrl), storeHealth);
  const repositories = createRepositories(storage);
  // Instances sharing the store split the accounts by partition leases; the watchers write only what this one owns.
  const partitions = new PartitionMap(config.ownership.partitions);
  const leases = await openOwnershipStore(config.storageUrl, { leaseMs: config.ownership.leaseSeconds * 1000 });
  const owner = new PartitionOwner(leases, {
    instanceId: config.ownership.instanceId,
    partitions,
    leaseMs: config.ownership.leaseSeconds * 1000,
    renewMs: config.ownership.renewSeconds * 1000,
    log,
  });
  const watcherRepositories = createRepositories(new FencedStorage(storage, partitions, (p) => owner.owns(p)));
  const installations = new TeamsInstallations(storage);
  const transport = new NodeHttpTransport();

  const adapter = createAdapter(config, env, log);
  // oauth mode: the accounts are the users who signed in from the chat; their tokens come from the token service.
  const userTokens = config.auth === 'oauth' ? new UserTokens(adapter, { appId: config.appId ?? '', connection: config.oauthConnection!, resource: config.oauthResource }) : undefined;

  let demo: DemoEnvironment | undefined;
  let directory: AccountSource;
  if (config.discovery && userTokens) {
    directory = new SignedInAccounts(config.discovery, userTokens);
  } else if (config.discovery) {
    const accounts = loadAccountsFile(config.accountsFile!, env, config.auth === 'azure' ? 'azure' : 'password');
    let credential;
    if (config.auth === 'azure') {
      const { DefaultAzureCredential } = await import('@azure/identity');
      credential = new DefaultAzureCredential();
    }
    directory = new AccountDirectory({ accounts, discovery: config.discovery, auth: config.auth === 'azure' ? 'azure' : 'password', transport, credential });
  } else {
    const notice = demoAccountsFileNotice(config.accountsFile, env);
    if (notice) log.warn(notice);
    demo = await DemoEnvironment.start(config.demo?.simulatorPort ?? 0);
    directory = new AccountDirectory({ accounts: demo.accounts(), discovery: { discoveryUrl: demo.simulator.discoveryUrl }, auth: 'password', transport });
  }

  const supervisor = new WatcherSupervisor({ transport, repositories, watcherRepositories, logger: log });
  const cards = createBotCards({ authMode: config.auth });
  const sender = new ProactiveSender(adapter, { appId: config.appId ?? '' }, log);
  const notifier = new CardNotifier({ repositories, installations, sender, renderCard: (r, view) => cards.invitation(r, view), summary: invitationSummary, log });
  // The one way the notifier hears of work (besides its retry timer): every write that queues a card says so.
  repositories.notifications.onQueued(() => void notifier.kick());
  // Remote messages of accepted conversations, through the same sender (its limits cover cards and messages alike).
  const relay = new MessageRelay({ repositories, installationOf: (id) => installations.get(storedAccountId(id)), post: (reference, activity) => sender.post(reference, activity), log });
  repositories.notifications.onQueued(() => void relay.kick());
  // The watchers write through the fenced repositories: their queue kicks the same two.
  watcherRepositories.notifications.onQueued(() => void notifier.kick());
  watcherRepositories.notifications.onQueued(() => void relay.kick());
  const watches = new WatchManager(supervisor, directory, installations, repositories, log, (id) => owner.ownsAccount(id));
  const owned = new OwnedAccounts(owner, supervisor, watches, log);
  const ownership = () => `${owner.ownedPartitions().length}/${partitions.count} partitions, ${owned.count()} accounts (${owner.instanceId})`;
  const prompter = userTokens ? new SignInPrompter(supervisor, installations, userTokens, log) : undefined;
  prompter?.start();
  const signIn = userTokens && prompter ? { tokens: userTokens, prompter } : undefined;
  const notices = new ConnectionNotices(supervisor, installations, sender, log, { authFailedHandledElsewhere: config.auth === 'oauth' });
  notices.start();
  const bot = new InvitationBot({ repositories, installations, supervisor, watches, cards, log, demo, signIn, storeHealth, ownership });
  // The host name tells instances apart (on App Service each instance has its own).
  const probe = new StoreWriteProbe(storage, { instance: hostname() });
  const readiness = new BotReadiness(probe, supervisor, ownership);
  const server = createBotServer(adapter, bot, () => readiness.check(), log, { requestTimeoutMs: config.httpRequestTimeoutMs, rejections });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.listenHost, () => resolve());
  });
  log.info('bot listening', { port: config.port, host: config.listenHost ?? 'all interfaces', mode: demo ? 'demo' : 'ucwa' });
  if (!config.appId && !demo) log.warn('no MicrosoftAppId: requests are not authenticated, so the bot listens on the loopback interface only');
  notifier.start();
  relay.start();
  const idle = new IdleConversationSweeper(supervisor.conversations, () => supervisor.statuses().map((s) => s.accountId), config.imIdleMinutes * 60_000, log);
  idle.start();
  await owner.start();
  const watching = await watches.startAll();
  owned.start();
  readiness.phase = 'running';
  log.info('watching linked accounts', { accounts: watching, owned: ownership() });

  let playground: PlaygroundProcess | undefined;
  if (demo && playgroundPort !== undefined) {
    playground = startPlayground(config.port, playgroundPort);
    if (playground) {
      await playground.ready();
      console.log(`\nDemo running. Open ${playground.url} to chat with the bot as Alex Wilber.\nSay "demo" (or press the button on the welcome card) to receive Skype invitations. Ctrl-C stops everything.\n`);
    } else {
      console.log(`\nDemo running without Agents Playground (not installed). Point a Bot Framework client at http://127.0.0.1:${config.port}/api/messages.\n`);
    }
  }

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    readiness.phase = 'stopping';
    log.info('shutting down');
    server.close();
    await notices.stop();
    await notifier.stop();
    await relay.stop();
    idle.stop();
    await owned.stop();
    // Deletes every UCWA application: the accounts sign out cleanly. Then the partitions go to the other instances.
    await supervisor.stopAll();
    await owner.stop();
    await leases.close();
    await playground?.stop();
    await demo?.stop();
    transport.close();
    await storage.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

/** Settings from a `.env` file in the working directory (see .env.example); the real environment wins. */
function loadDotEnv(): void {
  if (!existsSync('.env')) return;
  try {
    process.loadEnvFile('.env');
  } catch (err) {
    console.error(`Configuration error: .env: cannot be read (${(err as Error).message.split('\n')[0]})`);
    process.exit(1);
  }
}

if (require.main === module) {
  loadDotEnv();
  main().catch((err: Error) => {
    // Bad configuration: one line that names the variable, nothing else.
    // Written directly: console.error is routed into the JSON log once main() has started.
    if (err instanceof ConfigError || err instanceof StorageConfigError) process.stderr.write(`Configuration error: ${err.message}\n`);
    else process.stderr.write(`Start-up failed: ${err.message}\n`);
    process.exit(1);
  });
}
