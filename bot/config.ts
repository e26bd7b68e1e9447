// The bot's configuration, read once at start-up from the environment (see .env.example). Every bad value stops
// start-up with one line that names the variable and says what is wrong, and never repeats a secret.
import { hostname } from 'node:os';
import { DEFAULT_PARTITION_COUNT, MAX_PARTITION_COUNT } from '../src/ownership';
import { parseStorageUrl } from '../src/store';
import { assertSecureTransport } from '../src/ucwa/origins';
import type { DiscoveryTarget } from '../src/ucwa/discovery';

export type AppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
export type UcwaAuthMode = 'password' | 'oauth' | 'azure';
/**
 * Which token-service call gives the user's UCWA token (oauth mode). The bot cannot ask the token service what kind
 * of connection it has, so this is configured:
 * - `connection`: `getUserToken`, the token for the scopes configured on the connection (an Entra ID v2 connection,
 *   as deployment/azuredeploy.json creates; Skype for Business Server with hybrid modern authentication, where the
 *   pool's web services resource is the one scope).
 * - `pool`: `getAadTokens` with the pool origin as the resource, one token per origin (an Azure AD v1 connection;
 *   Skype for Business Online, where the webdir and webpool hosts are different resources).
 */
export type OAuthResourceMode = 'connection' | 'pool';

export interface BotConfig {
  port: number;
  /** Bot identity; undefined = local and unauthenticated (Agents Playground, Emulator). */
  appId?: string;
  appType: AppType;
  tenantId?: string;
  /** UCWA discovery; undefined = no Skype for Business configured, the bot runs the local demo. */
  discovery?: DiscoveryTarget;
  auth: UcwaAuthMode;
  accountsFile?: string;
  oauthConnection?: string;
  oauthResource: OAuthResourceMode;
  /** botbuilder's `OAuthUrl`: the Bot Framework token service (a regional one, or a local fake in tests). */
  oauthUrl?: string;
  /**
   * botbuilder's `ToBotFromChannelOpenIdMetadataUrl`: where the keys that sign the channel's tokens are published.
   * Unset in production (botbuilder's public-cloud default); a local stand-in in tests.
   */
  channelOpenIdMetadataUrl?: string;
  /** How long a client may take to send one whole request (headers and body) before the connection is cut. */
  httpRequestTimeoutMs: number;
  /** An accepted conversation with no message either way for this long is left, and its card says so. */
  imIdleMinutes: number;
  storageUrl: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Where the HTTP server listens. Without an app id nothing authenticates the callers of /api/messages (anyone could
   * act as any user), so the bot then listens on the loopback interface only; with one, on all interfaces.
   */
  listenHost?: string;
  /** The local demo's settings; present only when no Skype for Business is configured. */
  demo?: DemoConfig;
  /** How instances sharing one store split the accounts between them. */
  ownership: OwnershipConfig;
}

export interface OwnershipConfig {
  /** This instance's name in the ownership records (INSTANCE_ID; default host name and process id). */
  instanceId: string;
  /** Accounts are grouped into this many partitions; every instance sharing a store must use the same number. */
  partitions: number;
  leaseSeconds: number;
  renewSeconds: number;
}

export interface DemoConfig {
  /** The in-process UCWA simulator's port (0 = any free port). */
  simulatorPort: number;
  /** Whether to start Microsoft 365 Agents Playground (DEMO_PLAYGROUND=off leaves it to you). */
  playground: boolean;
  /** Agents Playground's port; 0 = any free port; unset = the default, or any free port when that one is taken. */
  playgroundPort?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

const APP_TYPES: Record<string, AppType> = { multitenant: 'MultiTenant', singletenant: 'SingleTenant', userassignedmsi: 'UserAssignedMSI' };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv): BotConfig {
  const port = portValue(env, 'PORT', 3978, false);

  const appId = value(env, 'MicrosoftAppId');
  if (appId && !GUID.test(appId)) throw new ConfigError('MicrosoftAppId', 'must be a GUID (the bot\'s application or managed identity client id)');
  const appTypeRaw = value(env, 'MicrosoftAppType');
  const appType = appTypeRaw ? APP_TYPES[appTypeRaw.toLowerCase()] : 'MultiTenant';
  if (!appType) throw new ConfigError('MicrosoftAppType', 'must be UserAssignedMSI, SingleTenant or MultiTenant');
  const tenantId = value(env, 'MicrosoftAppTenantId');
  if (tenantId && !GUID.test(tenantId)) throw new ConfigError('MicrosoftAppTenantId', 'must be a GUID (the Entra tenant id)');
  if (appId) {
    if (appType !== 'UserAssignedMSI' && !value(env, 'MicrosoftAppPassword')) {
      throw new ConfigError('MicrosoftAppPassword', `is required for MicrosoftAppType=${appType}`);
    }
    if (appType !== 'MultiTenant' && !tenantId) throw new ConfigError('MicrosoftAppTenantId', `is required for MicrosoftAppType=${appType}`);
  } else if (appTypeRaw && appType !== 'MultiTenant') {
    throw new ConfigError('MicrosoftAppId', `is required for MicrosoftAppType=${appType}`);
  }

  const discoveryUrl = value(env, 'UCWA_DISCOVERY_URL');
  const domain = value(env, 'UCWA_DOMAIN');
  let discovery: DiscoveryTarget | undefined;
  if (discoveryUrl && domain) throw new ConfigError('UCWA_DISCOVERY_URL', 'set either UCWA_DISCOVERY_URL or UCWA_DOMAIN, not both');
  if (discoveryUrl) {
    let url: URL;
    try {
      url = new URL(discoveryUrl);
    } catch {
      throw new ConfigError('UCWA_DISCOVERY_URL', 'is not a URL (expected e.g. https://lyncdiscover.contoso.com)');
    }
    try {
      assertSecureTransport(url);
    } catch {
      throw new ConfigError('UCWA_DISCOVERY_URL', 'must use https (plain http only to a loopback address)');
    }
    if (url.username || url.password) throw new ConfigError('UCWA_DISCOVERY_URL', 'must not contain credentials');
    discovery = { discoveryUrl: url.toString() };
  } else if (domain) {
    if (!DOMAIN.test(domain)) throw new ConfigError('UCWA_DOMAIN', 'must be a DNS domain such as contoso.com');
    discovery = { domain: domain.toLowerCase() };
  }

  const authRaw = (value(env, 'UCWA_AUTH') ?? 'password').toLowerCase();
  if (authRaw !== 'password' && authRaw !== 'oauth' && authRaw !== 'azure') throw new ConfigError('UCWA_AUTH', 'must be password, oauth or azure');
  const auth = authRaw as UcwaAuthMode;
  const accountsFile = value(env, 'UCWA_ACCOUNTS_FILE');
  const oauthConnection = value(env, 'UCWA_OAUTH_CONNECTION');
  if (auth === 'oauth') {
    // The demo signs its simulated users in with passwords: per-user sign-in needs a real pool and token service.
    if (!discovery) throw new ConfigError('UCWA_AUTH', 'oauth needs UCWA_DISCOVERY_URL or UCWA_DOMAIN (the local demo signs in with passwords)');
    if (!oauthConnection) throw new ConfigError('UCWA_OAUTH_CONNECTION', 'is required when UCWA_AUTH=oauth (the name of the OAuth connection on the Azure Bot)');
  }
  const resourceRaw = (value(env, 'UCWA_OAUTH_RESOURCE') ?? 'connection').toLowerCase();
  if (resourceRaw !== 'connection' && resourceRaw !== 'pool') throw new ConfigError('UCWA_OAUTH_RESOURCE', 'must be connection or pool');
  const oauthUrl = endpointUrl(env, 'OAuthUrl', 'the Bot Framework token service');
  const channelOpenIdMetadataUrl = endpointUrl(env, 'ToBotFromChannelOpenIdMetadataUrl', 'the Bot Framework channel\'s OpenID configuration');
  if (discovery) {
    if (auth === 'password' && !accountsFile) throw new ConfigError('UCWA_ACCOUNTS_FILE', 'is required when UCWA_AUTH=password (a JSON list of linked accounts)');
    if (auth === 'azure' && !accountsFile) throw new ConfigError('UCWA_ACCOUNTS_FILE', 'is required when UCWA_AUTH=azure (it maps Teams users to SIP addresses)');
  }

  let demo: DemoConfig | undefined;
  if (!discovery) {
    const playgroundRaw = (value(env, 'DEMO_PLAYGROUND') ?? 'on').toLowerCase();
    if (playgroundRaw !== 'on' && playgroundRaw !== 'off') throw new ConfigError('DEMO_PLAYGROUND', 'must be on or off');
    demo = {
      simulatorPort: portValue(env, 'DEMO_SIMULATOR_PORT', 0, true),
      playground: playgroundRaw === 'on',
      playgroundPort: value(env, 'DEMO_PLAYGROUND_PORT') === undefined ? undefined : portValue(env, 'DEMO_PLAYGROUND_PORT', 0, true),
    };
  }

  // The demo's chat lives in Agents Playground, whose conversations do not survive it: nothing worth keeping.
  const storageUrl = value(env, 'STORAGE_URL') ?? (demo ? 'memory:' : 'sqlite:./data/bot.db');
  parseStorageUrl(storageUrl); // throws a one-line STORAGE_URL error

  const httpRequestTimeoutMs = integerValue(env, 'HTTP_REQUEST_TIMEOUT_MS', 15_000, 100, 300_000);

  const imIdleMinutes = integerValue(env, 'IM_IDLE_MINUTES', 10, 1, 1440);
  const ownership = ownershipConfig(env);

  const logLevel = (value(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError('LOG_LEVEL', 'must be debug, info, warn or error');

  return {
    port,
    appId,
    appType,
    tenantId,
    discovery,
    auth,
    accountsFile,
    oauthConnection,
    oauthResource: resourceRaw,
    oauthUrl,
    channelOpenIdMetadataUrl,
    httpRequestTimeoutMs,
    imIdleMinutes,
    storageUrl,
    logLevel: logLevel as BotConfig['logLevel'],
    listenHost: appId ? undefined : '127.0.0.1',
    demo,
    ownership,
  };
}

function ownershipConfig(env: NodeJS.ProcessEnv): OwnershipConfig {
  const instanceId = value(env, 'INSTANCE_ID') ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(instanceId)) {
    throw new ConfigError('INSTANCE_ID', 'must be 1-64 letters, digits and . _ : - (default: the host name and process id)');
  }
  const partitions = integerValue(env, 'OWNERSHIP_PARTITIONS', DEFAULT_PARTITION_COUNT, 1, MAX_PARTITION_COUNT);
  const leaseSeconds = integerValue(env, 'OWNERSHIP_LEASE_SECONDS', 30, 5, 3600);
  const renewSeconds = integerValue(env, 'OWNERSHIP_RENEW_SECONDS', Math.min(10, Math.floor(leaseSeconds / 3)), 1, 60);
  if (renewSeconds * 2 > leaseSeconds) {
    throw new ConfigError('OWNERSHIP_RENEW_SECONDS', `must be at most half of OWNERSHIP_LEASE_SECONDS (${leaseSeconds}), so a lease survives one failed renewal`);
  }
  return { instanceId, partitions, leaseSeconds, renewSeconds };
}

/** An endpoint botbuilder calls: https, or plain http to a loopback address (local stand-ins in tests). */
function endpointUrl(env: NodeJS.ProcessEnv, name: string, what: string): string | undefined {
  const raw = value(env, name);
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
    assertSecureTransport(url);
  } catch {
    throw new ConfigError(name, `must be an https URL of ${what} (plain http only to a loopback address)`);
  }
  if (url.username || url.password) throw new ConfigError(name, 'must not contain credentials');
  return raw;
}

function integerValue(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw.slice(0, 20)}"`);
  return n;
}

function portValue(env: NodeJS.ProcessEnv, name: string, fallback: number, allowAny: boolean): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535 || (port === 0 && !allowAny)) {
    throw new ConfigError(name, `must be a port number ${allowAny ? '0-65535 (0: any free port)' : '1-65535'}, got "${raw.slice(0, 20)}"`);
  }
  return port;
}
