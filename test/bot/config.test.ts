// loadConfig: every bad value stops start-up with one line that names the variable and never repeats a secret; and
// the real entry point (node dist/bot/index.js) says exactly that one line on stderr and exits non-zero.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../bot/config';
import { BOT_ENTRY as ENTRY, runNode } from './helpers';

const APP_ID = '0b7c4a8e-3a41-4a52-9a3f-6c1f1e2d3b4a';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const BOT_SECRET = 'Bot-Secret~Value.9876543210';
const ACCOUNT_KEY = 'c2VjcmV0LWFjY291bnQta2V5LWRvLW5vdC1sb2c=';
const URL_PASSWORD = 'Hunter2-Url-Pa55';
const SECRETS = [BOT_SECRET, ACCOUNT_KEY, URL_PASSWORD];

/** Asserts loadConfig(env) fails with a ConfigError for `variable`, one line, matching `problem`, without secrets. */
function refuses(env: NodeJS.ProcessEnv, variable: string, problem: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      const e = err as Error & { variable?: string };
      assert.equal(e.name, 'ConfigError', `a ConfigError, got ${e.name}: ${e.message}`);
      assert.equal(e.variable, variable, e.message);
      assert.ok(e.message.startsWith(`${variable}: `), e.message);
      assert.match(e.message, problem);
      assert.ok(!/[\r\n]/.test(e.message), 'one line');
      for (const s of SECRETS) assert.ok(!e.message.includes(s), `the message repeats a secret: ${e.message}`);
      return true;
    },
  );
}

const UCWA = { UCWA_DISCOVERY_URL: 'https://lyncdiscover.contoso.com', UCWA_ACCOUNTS_FILE: '/etc/bot/accounts.json' };

describe('bot configuration (loadConfig)', () => {
  it('runs the local demo with nothing set, and accepts complete configurations', () => {
    const local = loadConfig({});
    assert.equal(local.port, 3978);
    assert.equal(local.appId, undefined);
    assert.equal(local.discovery, undefined);
    assert.equal(local.storageUrl, 'memory:', 'the demo keeps nothing: its playground chats do not survive it');
    assert.equal(local.logLevel, 'info');
    assert.deepEqual(local.demo, { simulatorPort: 0, playground: true, playgroundPort: undefined });
    assert.equal(local.listenHost, '127.0.0.1', 'unauthenticated: loopback only');

    const single = loadConfig({ PORT: '8080', MicrosoftAppId: APP_ID, MicrosoftAppPassword: BOT_SECRET, MicrosoftAppType: 'singletenant', MicrosoftAppTenantId: TENANT_ID, ...UCWA, STORAGE_URL: 'memory:', LOG_LEVEL: 'DEBUG' });
    assert.equal(single.port, 8080);
    assert.equal(single.appType, 'SingleTenant');
    assert.equal(single.tenantId, TENANT_ID);
    assert.deepEqual(single.discovery, { discoveryUrl: 'https://lyncdiscover.contoso.com/' });
    assert.equal(single.auth, 'password');
    assert.equal(single.logLevel, 'debug');
    assert.ok(!JSON.stringify(single).includes(BOT_SECRET), 'the app password is not kept in the config object');
    assert.equal(single.demo, undefined);
    assert.equal(single.listenHost, undefined, 'authenticated: all interfaces');
    assert.equal(loadConfig(UCWA).storageUrl, 'sqlite:./data/bot.db', 'the real bot keeps its state on disk by default');
    assert.equal(loadConfig(UCWA).listenHost, '127.0.0.1', 'a real pool without a bot identity: still loopback only');

    const msi = loadConfig({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: TENANT_ID, UCWA_DOMAIN: 'Contoso.COM', UCWA_AUTH: 'azure', UCWA_ACCOUNTS_FILE: '/a.json' });
    assert.equal(msi.appType, 'UserAssignedMSI');
    assert.deepEqual(msi.discovery, { domain: 'contoso.com' });
    assert.equal(msi.auth, 'azure');

    // Plain HTTP is allowed to a loopback address (the simulator).
    assert.deepEqual(loadConfig({ UCWA_DISCOVERY_URL: 'http://127.0.0.1:8081', UCWA_ACCOUNTS_FILE: '/a.json' }).discovery, { discoveryUrl: 'http://127.0.0.1:8081/' });
  });

  it('PORT must be a port number', () => {
    for (const port of ['abc', '0', '65536', '80.5', '-1', '3978 ; rm']) refuses({ PORT: port }, 'PORT', /port number/);
  });

  it('the bot identity: app id, type, tenant and password', () => {
    refuses({ MicrosoftAppId: 'my-bot', MicrosoftAppPassword: BOT_SECRET }, 'MicrosoftAppId', /GUID/);
    refuses({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: BOT_SECRET, MicrosoftAppType: 'Federated' }, 'MicrosoftAppType', /UserAssignedMSI, SingleTenant or MultiTenant/);
    refuses({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: BOT_SECRET, MicrosoftAppType: 'SingleTenant' }, 'MicrosoftAppTenantId', /required for MicrosoftAppType=SingleTenant/);
    refuses({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: TENANT_ID }, 'MicrosoftAppPassword', /required for MicrosoftAppType=SingleTenant/);
    refuses({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'MultiTenant' }, 'MicrosoftAppPassword', /required for MicrosoftAppType=MultiTenant/);
    refuses({ MicrosoftAppId: APP_ID }, 'MicrosoftAppPassword', /required/);
    refuses({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'UserAssignedMSI' }, 'MicrosoftAppTenantId', /required for MicrosoftAppType=UserAssignedMSI/);
    refuses({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: BOT_SECRET, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: 'contoso' }, 'MicrosoftAppTenantId', /GUID/);
    refuses({ MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: TENANT_ID, MicrosoftAppPassword: BOT_SECRET }, 'MicrosoftAppId', /required/);
  });

  it('UCWA discovery: a URL (https, or http to loopback, no credentials) or a domain, not both', () => {
    refuses({ ...UCWA, UCWA_DISCOVERY_URL: 'lyncdiscover contoso' }, 'UCWA_DISCOVERY_URL', /not a URL/);
    refuses({ ...UCWA, UCWA_DISCOVERY_URL: 'http://lyncdiscover.contoso.com' }, 'UCWA_DISCOVERY_URL', /https/);
    refuses({ ...UCWA, UCWA_DISCOVERY_URL: 'ftp://lyncdiscover.contoso.com' }, 'UCWA_DISCOVERY_URL', /https/);
    refuses({ ...UCWA, UCWA_DISCOVERY_URL: `https://admin:${URL_PASSWORD}@lyncdiscover.contoso.com` }, 'UCWA_DISCOVERY_URL', /credentials/);
    refuses({ ...UCWA, UCWA_DISCOVERY_URL: `http://admin:${URL_PASSWORD}@lyncdiscover.contoso.com` }, 'UCWA_DISCOVERY_URL', /https|credentials/);
    refuses({ ...UCWA, UCWA_DOMAIN: 'contoso.com' }, 'UCWA_DISCOVERY_URL', /not both/);
    for (const domain of ['contoso', 'https://contoso.com', 'con toso.com', '-contoso.com', 'contoso.com/path']) {
      refuses({ UCWA_DOMAIN: domain, UCWA_ACCOUNTS_FILE: '/a.json' }, 'UCWA_DOMAIN', /DNS domain/);
    }
  });

  it('UCWA_AUTH: known modes only; password and azure need the accounts file', () => {
    refuses({ ...UCWA, UCWA_AUTH: 'kerberos' }, 'UCWA_AUTH', /password, oauth or azure/);
    refuses({ UCWA_DISCOVERY_URL: UCWA.UCWA_DISCOVERY_URL }, 'UCWA_ACCOUNTS_FILE', /required when UCWA_AUTH=password/);
    refuses({ UCWA_DISCOVERY_URL: UCWA.UCWA_DISCOVERY_URL, UCWA_AUTH: 'azure' }, 'UCWA_ACCOUNTS_FILE', /required when UCWA_AUTH=azure/);
  });

  it('UCWA_AUTH=oauth: needs the OAuth connection and a UCWA target, not an accounts file', () => {
    const target = { UCWA_DISCOVERY_URL: UCWA.UCWA_DISCOVERY_URL };
    const oauth = loadConfig({ ...target, UCWA_AUTH: 'OAuth', UCWA_OAUTH_CONNECTION: ' sfb-connection ' });
    assert.equal(oauth.auth, 'oauth');
    assert.equal(oauth.oauthConnection, 'sfb-connection');
    assert.equal(oauth.accountsFile, undefined);
    assert.equal(oauth.oauthResource, 'connection', 'getUserToken (the connection\'s own scopes) by default');
    assert.equal(oauth.oauthUrl, undefined);
    const perPool = loadConfig({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: 'sfb', UCWA_OAUTH_RESOURCE: 'Pool', OAuthUrl: 'https://europe.token.botframework.com' });
    assert.equal(perPool.oauthResource, 'pool');
    assert.equal(perPool.oauthUrl, 'https://europe.token.botframework.com');
    assert.equal(loadConfig({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: 'sfb', OAuthUrl: 'http://127.0.0.1:9000' }).oauthUrl, 'http://127.0.0.1:9000');

    refuses({ ...target, UCWA_AUTH: 'oauth' }, 'UCWA_OAUTH_CONNECTION', /required when UCWA_AUTH=oauth/);
    refuses({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: '   ' }, 'UCWA_OAUTH_CONNECTION', /required/);
    // Without a UCWA target the bot would run the demo while claiming a sign-in mode it cannot offer.
    refuses({ UCWA_AUTH: 'OAuth', UCWA_OAUTH_CONNECTION: 'sfb' }, 'UCWA_AUTH', /needs UCWA_DISCOVERY_URL or UCWA_DOMAIN/);
    refuses({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: 'sfb', UCWA_OAUTH_RESOURCE: 'graph' }, 'UCWA_OAUTH_RESOURCE', /connection or pool/);
    refuses({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: 'sfb', OAuthUrl: 'http://token.example.com' }, 'OAuthUrl', /https/);
    refuses({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: 'sfb', OAuthUrl: 'not a url' }, 'OAuthUrl', /https URL/);
    refuses({ ...target, UCWA_AUTH: 'oauth', UCWA_OAUTH_CONNECTION: 'sfb', OAuthUrl: `https://u:${URL_PASSWORD}@token.example.com` }, 'OAuthUrl', /credentials/);
  });

  it('STORAGE_URL: a bad value is refused without echoing an account key', () => {
    refuses({ STORAGE_URL: 'mongodb://db.example/bot' }, 'STORAGE_URL', /unsupported scheme "mongodb:"/);
    refuses({ STORAGE_URL: 'bot.db' }, 'STORAGE_URL', /no scheme/);
    refuses({ STORAGE_URL: 'sqlite:' }, 'STORAGE_URL', /file path/);
    refuses({ STORAGE_URL: 'memory:extra' }, 'STORAGE_URL', /memory:/);
    refuses({ STORAGE_URL: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net` }, 'STORAGE_URL', /storage URL|scheme/);
    refuses({ STORAGE_URL: `blob:DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY};container=bot` }, 'STORAGE_URL', /blob/);
    refuses({ STORAGE_URL: `https://acct.blob.core.windows.net/?sig=${ACCOUNT_KEY}` }, 'STORAGE_URL', /scheme/);
  });

  it('the demo settings: ports (0 = any for the simulator) and DEMO_PLAYGROUND on/off', () => {
    assert.deepEqual(loadConfig({ DEMO_SIMULATOR_PORT: '8081', DEMO_PLAYGROUND: 'OFF', DEMO_PLAYGROUND_PORT: '56999' }).demo, { simulatorPort: 8081, playground: false, playgroundPort: 56999 });
    assert.throws(() => loadConfig({ DEMO_SIMULATOR_PORT: 'abc' }), /^ConfigError: DEMO_SIMULATOR_PORT: must be a port number 0-65535/);
    assert.equal(loadConfig({ DEMO_PLAYGROUND_PORT: '0' }).demo?.playgroundPort, 0, '0: any free port');
    assert.throws(() => loadConfig({ DEMO_PLAYGROUND_PORT: '70000' }), /^ConfigError: DEMO_PLAYGROUND_PORT/);
    assert.throws(() => loadConfig({ DEMO_PLAYGROUND: 'maybe' }), /^ConfigError: DEMO_PLAYGROUND: must be on or off/);
    assert.equal(loadConfig({ ...UCWA, DEMO_SIMULATOR_PORT: 'abc' }).demo, undefined, 'ignored outside the demo');
  });

  it('IM_IDLE_MINUTES: 10 by default, a whole number of minutes from 1 to 1440', () => {
    assert.equal(loadConfig({}).imIdleMinutes, 10);
    assert.equal(loadConfig({ IM_IDLE_MINUTES: '3' }).imIdleMinutes, 3);
    refuses({ IM_IDLE_MINUTES: '0' }, 'IM_IDLE_MINUTES', /1 to 1440/);
    refuses({ IM_IDLE_MINUTES: '5m' }, 'IM_IDLE_MINUTES', /whole number/);
  });

  it('HTTP_REQUEST_TIMEOUT_MS and ToBotFromChannelOpenIdMetadataUrl (advanced/testing): validated like the others', () => {
    assert.equal(loadConfig({}).httpRequestTimeoutMs, 15_000);
    assert.equal(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '1000' }).httpRequestTimeoutMs, 1000);
    refuses({ HTTP_REQUEST_TIMEOUT_MS: '50' }, 'HTTP_REQUEST_TIMEOUT_MS', /100 to 300000/);
    refuses({ HTTP_REQUEST_TIMEOUT_MS: '1s' }, 'HTTP_REQUEST_TIMEOUT_MS', /whole number/);
    assert.equal(loadConfig({ ToBotFromChannelOpenIdMetadataUrl: 'http://127.0.0.1:9000/v1/.well-known/openidconfiguration' }).channelOpenIdMetadataUrl, 'http://127.0.0.1:9000/v1/.well-known/openidconfiguration');
    refuses({ ToBotFromChannelOpenIdMetadataUrl: 'http://keys.example.com/openid' }, 'ToBotFromChannelOpenIdMetadataUrl', /https/);
    refuses({ ToBotFromChannelOpenIdMetadataUrl: 'not a url' }, 'ToBotFromChannelOpenIdMetadataUrl', /https URL/);
  });

  it('LOG_LEVEL must be debug, info, warn or error', () => {
    refuses({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /debug, info, warn or error/);
    assert.equal(loadConfig({ LOG_LEVEL: ' Warn ' }).logLevel, 'warn');
  });

  it('ConfigError carries the variable', () => {
    const e = new ConfigError('PORT', 'bad');
    assert.equal(e.variable, 'PORT');
    assert.equal(e.message, 'PORT: bad');
  });
});

// ------------------------------------------------------------------------------------------- the real process

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('bot start-up with a bad configuration (node dist/bot/index.js)', function () {
  this.timeout(20_000);

  const cases: Array<{ env: Record<string, string>; variable: string }> = [
    { env: { MicrosoftAppId: 'not-a-guid', MicrosoftAppPassword: BOT_SECRET }, variable: 'MicrosoftAppId' },
    { env: { MicrosoftAppId: APP_ID, MicrosoftAppPassword: BOT_SECRET, MicrosoftAppType: 'SingleTenant' }, variable: 'MicrosoftAppTenantId' },
    { env: { STORAGE_URL: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY}` }, variable: 'STORAGE_URL' },
    { env: { PORT: 'eighty' }, variable: 'PORT' },
    { env: { DEMO_SIMULATOR_PORT: 'abc' }, variable: 'DEMO_SIMULATOR_PORT' },
    { env: { DEMO_PLAYGROUND_PORT: 'abc' }, variable: 'DEMO_PLAYGROUND_PORT' },
    { env: { UCWA_DISCOVERY_URL: 'https://lyncdiscover.contoso.com', UCWA_AUTH: 'oauth' }, variable: 'UCWA_OAUTH_CONNECTION' },
  ];

  it('exits non-zero with exactly one stderr line naming the variable, and no secret', async () => {
    const runs = await Promise.all(cases.map((c) => runNode([ENTRY], c.env)));
    runs.forEach((run, i) => {
      const { variable } = cases[i];
      assert.notEqual(run.code, 0, `${variable}: exit code`);
      assert.deepEqual(lines(run.stderr).length, 1, `${variable}: one line on stderr, got:\n${run.stderr}`);
      assert.match(run.stderr, new RegExp(`^Configuration error: ${variable}: `));
      assert.ok(!run.stderr.includes('DEP0111'), 'no deprecation noise');
      for (const s of SECRETS) assert.ok(!(run.stderr + run.stdout).includes(s), `${variable}: a secret was printed`);
      assert.equal(run.stdout, '', `${variable}: nothing on stdout`);
    });
  });

  it('reads a .env file in the working directory; the real environment wins over it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dotenv-'));
    writeFileSync(path.join(dir, '.env'), ['# a comment', 'PORT=eighty', 'LOG_LEVEL=loud', ''].join('\n'));
    const fromFile = await runNode([ENTRY], {}, 15_000, dir);
    assert.notEqual(fromFile.code, 0);
    assert.match(fromFile.stderr, /^Configuration error: PORT: .*"eighty"/, 'PORT came from .env');
    const realWins = await runNode([ENTRY], { PORT: '3999' }, 15_000, dir);
    assert.notEqual(realWins.code, 0);
    assert.match(realWins.stderr, /^Configuration error: LOG_LEVEL: /, 'PORT from the environment was used; LOG_LEVEL still from .env');
  });

  it('a demo playground port already in use is named, instead of the playground moving elsewhere unnoticed', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const run = await runNode([ENTRY], { PORT: '3999', DEMO_PLAYGROUND_PORT: String(port) });
      assert.notEqual(run.code, 0);
      assert.deepEqual(lines(run.stderr), [`Configuration error: DEMO_PLAYGROUND_PORT: port ${port} is in use; choose a free one, 0 for any (or DEMO_PLAYGROUND=off)`]);
    } finally {
      busy.close();
    }
  });
});
