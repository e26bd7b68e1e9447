// Every environment variable the bot reads must be set by the ARM template's app settings or be listed below as
// optional with the reason; .env.example must document each one; and the settings the template produces must pass
// the bot's own configuration check. The list of variables comes from scanning the sources, so a variable added
// to the code later fails these tests until the template, .env.example or the optional list says what to do.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAccountsFile } from '../../bot/accounts';
import { loadConfig } from '../../bot/config';
import { parseStorageUrl } from '../../src/store/storage-url';
import { scanEnvironmentReads, scanSource } from './env-scan';
import { appSettings, evaluator, FAKE_CLIENT_ID, ROOT } from './helpers';

/**
 * The folders whose code runs in the bot's process (the simulator too: the local demo runs it in-process).
 * test/ and bench/ are not scanned: variables such as RANDOMIZED_SEED or UPDATE_SCREENSHOTS only steer tests.
 */
const SCANNED = ['bot', 'src'];

/** Variables the bot reads that the template deliberately does not set. */
const OPTIONAL: Record<string, string> = {
  PORT: 'App Service gives the Node container its port in PORT (8080) and forwards HTTPS traffic to it; the bot listens on PORT, so setting it (or WEBSITES_PORT, which is for custom containers) would only risk a mismatch',
  MicrosoftAppPassword: 'there is no client secret with MicrosoftAppType=UserAssignedMSI: the bot authenticates as its managed identity',
  DEMO_SIMULATOR_PORT: 'local demo only: read when no UCWA discovery is configured, and the template always sets UCWA_DISCOVERY_URL or UCWA_DOMAIN',
  DEMO_PLAYGROUND: 'local demo only (Agents Playground), see DEMO_SIMULATOR_PORT',
  DEMO_PLAYGROUND_PORT: 'local demo only (Agents Playground), see DEMO_SIMULATOR_PORT',
  UCWA_OAUTH_RESOURCE: 'oauth mode only; the default (connection: getUserToken) fits the Entra ID v2 connection the template creates; pool (getAadTokens per pool origin) is for an Azure AD v1 connection made by hand',
  OAuthUrl: "botbuilder's token service endpoint; the default (https://token.botframework.com) is right unless the Azure Bot uses a regional token service; tests point it at a fake",
  HTTP_REQUEST_TIMEOUT_MS: 'how long a client may take to send a whole request; the default (15 s) is generous for the Bot Framework; tests make it short to show slow clients are cut off',
  IM_IDLE_MINUTES: 'how long an accepted IM may be quiet before the bot leaves it; the default (10 minutes) suits most people',
  ToBotFromChannelOpenIdMetadataUrl: "botbuilder's location of the channel's token signing keys; the public cloud default is right in production; tests point it at a local stand-in",
  INSTANCE_ID: "this instance's name in the ownership records; the default (host name and process id) is unique per process, which App Service's instances and overlapped recycling need",
  OWNERSHIP_PARTITIONS: 'how many partitions accounts are grouped into for ownership leases; the default (64) fits up to 64 instances',
  OWNERSHIP_LEASE_SECONDS: 'ownership lease length; the default (30 s) bounds how long a dead instance\'s accounts wait for a new owner',
  OWNERSHIP_RENEW_SECONDS: 'how often leases are renewed and partitions balanced; the default (10 s) is a third of the lease',
};

/** Reads whose variable name is computed at run time, by file and expression, with where the names come from. */
const DYNAMIC_READS: { file: string; expression: string; reason: string }[] = [
  { file: 'bot/config.ts', expression: 'name', reason: "the value(env, name) helper; its callers are found by the scan's helper(env, 'X') pattern" },
  {
    file: 'bot/accounts.ts',
    expression: 'e.passwordEnv',
    reason: "the accounts file's passwordEnv names; the template sets one Key Vault reference app setting per name (skypeSecrets, skypePasswordSettings)",
  },
  { file: 'src/cli/ucwa-watch.ts', expression: 'passwordEnv', reason: 'ucwa-watch --password-env: an administrator runs this probe by hand; the web app never does' },
];

const scan = scanEnvironmentReads(ROOT, SCANNED);
const readNames = [...new Set(scan.reads.map((r) => r.name))].sort();

function firstRead(name: string): string {
  const r = scan.reads.find((x) => x.name === name)!;
  return `${r.file}:${r.line}`;
}

describe('environment variables: the bot, the template and .env.example agree', () => {
  it('the scan finds reads written every way the code reads variables, and computed names', () => {
    const sample = [
      "const a = process.env.ALPHA_ONE ?? '';",
      'const b = env.BETA_TWO;',
      "const c = env['GAMMA_THREE'];",
      "const d = value(env, 'DELTA_FOUR');",
      'const { EPSILON_FIVE, ZETA_SIX: z } = process.env;',
      'const e = env[someName];',
      "const notEnv = myenv.NOT_THIS; const call = env.get('NOR_THIS');",
      '// see .env.example',
    ].join('\n');
    const s = scanSource(sample, 'sample.ts');
    assert.deepEqual([...new Set(s.reads.map((r) => r.name))].sort(), ['ALPHA_ONE', 'BETA_TWO', 'DELTA_FOUR', 'EPSILON_FIVE', 'GAMMA_THREE', 'ZETA_SIX']);
    assert.deepEqual(
      s.dynamic.map((d) => d.expression),
      ['someName'],
    );
  });

  it('the scan of bot/ and src/ finds the variables the configuration is known to read', () => {
    for (const name of ['PORT', 'MicrosoftAppId', 'MicrosoftAppPassword', 'MicrosoftAppType', 'MicrosoftAppTenantId', 'UCWA_DISCOVERY_URL', 'UCWA_DOMAIN', 'UCWA_AUTH', 'UCWA_ACCOUNTS_FILE', 'UCWA_OAUTH_CONNECTION', 'STORAGE_URL', 'LOG_LEVEL']) {
      assert.ok(readNames.includes(name), `the scan should find ${name}`);
    }
  });

  it('every read with a computed variable name is known and explained', () => {
    for (const d of scan.dynamic) {
      assert.ok(
        DYNAMIC_READS.some((k) => k.file === d.file && k.expression === d.expression),
        `${d.file}:${d.line} reads env[${d.expression}]: add it to DYNAMIC_READS with where the names come from (and make sure the template sets them)`,
      );
    }
    for (const k of DYNAMIC_READS) {
      assert.ok(scan.dynamic.some((d) => d.file === k.file && d.expression === k.expression), `DYNAMIC_READS lists ${k.file} env[${k.expression}], which the code no longer has`);
    }
  });

  it('every variable the bot reads is set by the template or optional with a reason', () => {
    for (const scenario of [{}, { skypeDiscovery: 'contoso.com', ucwaAuth: 'azure' }, { ucwaAuth: 'oauth', createOAuthConnection: true, oauthClientId: '22222222-3333-4444-8555-666666666666', oauthClientSecret: 'x' }]) {
      const settings = appSettings(evaluator(scenario));
      for (const name of readNames) {
        assert.ok(settings.has(name) || name in OPTIONAL, `${name} (read at ${firstRead(name)}) is neither set by deployment/azuredeploy.json nor listed as optional`);
      }
    }
  });

  it('the optional list is current: each entry is read by the bot, explained, and not set by the template', () => {
    const settings = appSettings(evaluator());
    for (const [name, reason] of Object.entries(OPTIONAL)) {
      assert.ok(readNames.includes(name), `optional ${name} is no longer read by the bot; remove it`);
      assert.ok(reason.length > 20, `optional ${name} needs a reason`);
      assert.ok(!settings.has(name), `${name} is set by the template, so it is not optional`);
    }
  });

  it('.env.example documents every variable the bot reads', () => {
    const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const documented = new Set([...text.matchAll(/^#?\s*([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]));
    for (const name of readNames) assert.ok(documented.has(name), `.env.example does not document ${name} (read at ${firstRead(name)})`);
  });

  describe("the template's settings pass the bot's own configuration check", () => {
    /** The environment the bot sees on App Service: the app settings, Key Vault references resolved, PORT from the platform. */
    const appServiceEnv = (parameters: Record<string, unknown>): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = { PORT: '8080' };
      for (const [name, value] of appSettings(evaluator(parameters))) {
        env[name] = value.startsWith('@Microsoft.KeyVault(') ? `secret-of-${name}` : value;
      }
      return env;
    };

    it('autodiscover URL, password mode', () => {
      const config = loadConfig(appServiceEnv({ skypeDiscovery: 'https://lyncdiscover.contoso.com' }));
      assert.equal(config.port, 8080);
      assert.equal(config.appId, FAKE_CLIENT_ID);
      assert.equal(config.appType, 'UserAssignedMSI');
      assert.match(config.tenantId ?? '', /^[0-9a-f-]{36}$/);
      assert.deepEqual(config.discovery, { discoveryUrl: 'https://lyncdiscover.contoso.com/' });
      assert.equal(config.auth, 'password');
      assert.equal(config.accountsFile, '/home/site/accounts.json');
      assert.match(config.storageUrl, /^blob:https:\/\/st[a-z0-9]+\.blob\.core\.windows\.net\?container=botstate$/);
      assert.equal(config.logLevel, 'info');
    });

    it('SIP domain, azure mode, debug logging', () => {
      const config = loadConfig(appServiceEnv({ skypeDiscovery: 'Contoso.com', ucwaAuth: 'azure', logLevel: 'debug' }));
      assert.deepEqual(config.discovery, { domain: 'contoso.com' });
      assert.equal(config.auth, 'azure');
      assert.equal(config.logLevel, 'debug');
    });

    it('oauth mode with the OAuth connection the template creates', () => {
      const config = loadConfig(
        appServiceEnv({ skypeDiscovery: 'https://lyncdiscover.contoso.com', ucwaAuth: 'oauth', createOAuthConnection: true, oauthClientId: '22222222-3333-4444-8555-666666666666', oauthClientSecret: 'x' }),
      );
      assert.equal(config.auth, 'oauth');
      assert.equal(config.oauthConnection, 'SkypeForBusiness');
      assert.equal(config.oauthResource, 'connection');
    });

    it('oauth mode with a connection made by hand: the template still names it', () => {
      const config = loadConfig(appServiceEnv({ skypeDiscovery: 'contoso.com', ucwaAuth: 'oauth', oauthConnectionName: 'SfbByHand' }));
      assert.equal(config.oauthConnection, 'SfbByHand');
    });

    it('passwords named by passwordEnv in the accounts file resolve from the Key Vault reference settings', () => {
      const env = appServiceEnv({ skypeSecrets: { ALICE_SFB_PASSWORD: 'x' }, skypePasswordSettings: ['BOB_SFB_PASSWORD'] });
      const dir = mkdtempSync(path.join(os.tmpdir(), 'accounts-'));
      try {
        const file = path.join(dir, 'accounts.json');
        writeFileSync(
          file,
          JSON.stringify([
            { teamsUser: 'alice@contoso.com', sip: 'sip:alice@contoso.com', username: 'CONTOSO\\alice', passwordEnv: 'ALICE_SFB_PASSWORD' },
            { teamsUser: 'bob@contoso.com', sip: 'sip:bob@contoso.com', passwordEnv: 'BOB_SFB_PASSWORD' },
          ]),
        );
        const accounts = loadAccountsFile(file, env, 'password');
        assert.deepEqual(
          accounts.map((a) => a.password),
          ['secret-of-ALICE_SFB_PASSWORD', 'secret-of-BOB_SFB_PASSWORD'],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the default STORAGE_URL is the created blob container, reached with the managed identity', () => {
      const ev = evaluator();
      const storage = appSettings(ev).get('STORAGE_URL');
      const account = String(ev.variable('storageAccountName'));
      assert.deepEqual(parseStorageUrl(storage), { kind: 'blob', auth: 'azureCredential', accountUrl: `https://${account}.blob.core.windows.net`, container: 'botstate' });
    });

    it('an explicit STORAGE_URL parameter wins (e.g. SQLite on the /home share)', () => {
      const storage = appSettings(evaluator({ storageUrl: 'sqlite:/home/data/bot.db' })).get('STORAGE_URL');
      assert.deepEqual(parseStorageUrl(storage), { kind: 'sqlite', path: '/home/data/bot.db' });
    });
  });
});
