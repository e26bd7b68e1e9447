// Opens the storage that STORAGE_URL names. Errors are one line naming STORAGE_URL and never echo the value,
// because a Blob connection string carries an account key (or a SAS signature).
import { StorageConfigError } from './errors';
import { MemoryStorage } from './memory-storage';
import { SqliteStorage } from './sqlite-storage';
import type { ClosableStorage } from './storage';
import type { TokenCredential } from '@azure/identity';
import type { StorageRetryOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { BlobStorageOptions } from './blob-storage';

export const DEFAULT_STORAGE_URL = 'sqlite:./data/bot.db';

/** A `blob:` STORAGE_URL: an account URL (signed in with an Azure credential) or a connection string. */
export type BlobTarget =
  | { kind: 'blob'; auth: 'azureCredential'; accountUrl: string; container: string }
  | { kind: 'blob'; auth: 'connectionString'; connectionString: string; container: string };

/** What a STORAGE_URL asks for, parsed but not opened. */
export type StorageTarget = { kind: 'sqlite'; path: string } | { kind: 'memory' } | BlobTarget;

const EXPECTED = 'expected sqlite:<path>, memory: or blob:<account URL or connection string>';
const BLOB_FORMS =
  'expected blob:https://<account>.blob.core.windows.net?container=<name> or blob:<connection string>;Container=<name>';

/**
 * Parses a STORAGE_URL value. Empty or unset means the default (`sqlite:./data/bot.db`).
 * - `sqlite:<path>` (also `sqlite://<path>`, so `sqlite:///var/lib/bot.db` is absolute), `memory:`;
 * - `blob:https://<account>.blob.core.windows.net?container=<name>`: Azure Blob, signed in with
 *   DefaultAzureCredential (on App Service the user-assigned managed identity named by AZURE_CLIENT_ID);
 *   `http:` only for a loopback emulator;
 * - `blob:<connection string>;Container=<name>`: Azure Blob with the connection string's account key or SAS
 *   (`UseDevelopmentStorage=true;Container=<name>` for Azurite). `Container` may stand anywhere in the string.
 * Errors never echo the value: it may carry an account key or a SAS signature.
 */
export function parseStorageUrl(url: string | undefined): StorageTarget {
  const value = (url ?? '').trim() || DEFAULT_STORAGE_URL;
  const colon = value.indexOf(':');
  const scheme = colon > 0 ? value.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? value.slice(colon + 1) : '';

  switch (scheme) {
    case 'sqlite': {
      const file = rest.startsWith('//') ? rest.slice(2) : rest;
      if (file.trim() === '') throw new StorageConfigError(`sqlite: needs a file path, e.g. ${DEFAULT_STORAGE_URL}`);
      return { kind: 'sqlite', path: file };
    }
    case 'memory':
      if (rest !== '' && rest !== '//') throw new StorageConfigError('memory: takes nothing after the colon');
      return { kind: 'memory' };
    case 'blob':
      return parseBlob(rest.trim());
    case '':
      throw new StorageConfigError(`has no scheme; ${EXPECTED}`);
    default:
      // Echo the scheme only when it looks like one; anything else might be part of a secret.
      if (/^[a-z][a-z0-9+.-]{0,19}$/.test(scheme)) {
        throw new StorageConfigError(`unsupported scheme "${scheme}:"; ${EXPECTED}`);
      }
      throw new StorageConfigError(`is not a storage URL; ${EXPECTED}`);
  }
}

function parseBlob(value: string): BlobTarget {
  if (value === '') throw new StorageConfigError(`blob: needs an account URL or a connection string; ${BLOB_FORMS}`);
  if (/^https?:\/\//i.test(value)) return parseBlobAccountUrl(value);
  if (value.includes('=')) return parseBlobConnectionString(value);
  throw new StorageConfigError(`blob: is neither an account URL nor a connection string; ${BLOB_FORMS}`);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseBlobAccountUrl(value: string): BlobTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StorageConfigError(`blob: the account URL is not a valid URL; ${BLOB_FORMS}`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new StorageConfigError('blob: the account URL must use https (http only for an emulator on loopback)');
  }
  if (url.username !== '' || url.password !== '') {
    throw new StorageConfigError('blob: the account URL must not carry a user name or password');
  }
  if (url.hash !== '') throw new StorageConfigError('blob: the account URL must not have a #fragment');
  const names = [...url.searchParams.keys()];
  if (names.some((n) => n !== 'container')) {
    // Do not name the parameters: a SAS token's are harmless, but their values are not, and a typo may be either.
    throw new StorageConfigError(
      'blob: the account URL takes no query parameter but ?container=<name> (a SAS belongs in a connection string: SharedAccessSignature=...)',
    );
  }
  const containers = url.searchParams.getAll('container');
  if (containers.length !== 1) throw new StorageConfigError(`blob: the account URL needs one ?container=<name>; ${BLOB_FORMS}`);
  const path = url.pathname.replace(/\/+$/, '');
  // Azure account URLs have no path; a path-style account (emulators) is only accepted on loopback.
  if (path !== '' && !loopback) {
    throw new StorageConfigError('blob: the account URL must not have a path; name the container with ?container=<name>');
  }
  return { kind: 'blob', auth: 'azureCredential', accountUrl: `${url.origin}${path}`, container: checkContainer(containers[0]) };
}

/** Connection string settings Azure Storage defines (canonical spelling, which the SDK needs), plus our Container. */
const CONNECTION_SETTINGS = new Map(
  [
    'DefaultEndpointsProtocol',
    'AccountName',
    'AccountKey',
    'EndpointSuffix',
    'BlobEndpoint',
    'BlobSecondaryEndpoint',
    'QueueEndpoint',
    'QueueSecondaryEndpoint',
    'TableEndpoint',
    'TableSecondaryEndpoint',
    'FileEndpoint',
    'FileSecondaryEndpoint',
    'SharedAccessSignature',
    'UseDevelopmentStorage',
    'DevelopmentStorageProxyUri',
    'Container',
  ].map((name) => [name.toLowerCase(), name]),
);

function parseBlobConnectionString(value: string): BlobTarget {
  const settings: { name: string; value: string }[] = [];
  for (const part of value.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new StorageConfigError(`blob: the connection string has a part that is not Name=value; ${BLOB_FORMS}`);
    const given = part.slice(0, eq).trim();
    const name = CONNECTION_SETTINGS.get(given.toLowerCase());
    if (!name) {
      // A setting name is not secret, but a mangled string may put part of a key where a name should be.
      throw new StorageConfigError(
        /^[A-Za-z]{1,40}$/.test(given)
          ? `blob: unknown connection string setting "${given}"`
          : 'blob: the connection string has an unknown setting',
      );
    }
    if (settings.some((s) => s.name === name)) throw new StorageConfigError(`blob: the connection string sets ${name} twice`);
    settings.push({ name, value: part.slice(eq + 1).trim() });
  }
  const get = (name: string): string | undefined => settings.find((s) => s.name === name)?.value;

  const container = get('Container');
  if (container === undefined) throw new StorageConfigError(`blob: the connection string needs ;Container=<name>; ${BLOB_FORMS}`);
  const dev = get('UseDevelopmentStorage');
  if (dev !== undefined) {
    if (dev.toLowerCase() !== 'true') throw new StorageConfigError('blob: UseDevelopmentStorage can only be true');
  } else if (get('AccountKey') !== undefined) {
    if (!get('AccountName')) throw new StorageConfigError('blob: a connection string with AccountKey needs AccountName');
    if (!get('AccountKey')) throw new StorageConfigError('blob: the connection string has an empty AccountKey');
    const protocol = get('DefaultEndpointsProtocol')?.toLowerCase();
    if (protocol !== 'https' && protocol !== 'http') {
      throw new StorageConfigError('blob: a connection string with AccountKey needs DefaultEndpointsProtocol=https');
    }
    if (!get('BlobEndpoint') && !get('EndpointSuffix')) {
      throw new StorageConfigError('blob: the connection string needs EndpointSuffix (e.g. core.windows.net) or BlobEndpoint');
    }
  } else if (get('SharedAccessSignature') !== undefined) {
    if (!get('SharedAccessSignature')) throw new StorageConfigError('blob: the connection string has an empty SharedAccessSignature');
    if (!get('BlobEndpoint')) throw new StorageConfigError('blob: a connection string with SharedAccessSignature needs BlobEndpoint');
  } else {
    throw new StorageConfigError(
      'blob: the connection string needs AccountName and AccountKey, SharedAccessSignature and BlobEndpoint, or UseDevelopmentStorage=true',
    );
  }
  const blobEndpoint = get('BlobEndpoint');
  if (blobEndpoint !== undefined && !/^https?:\/\/[^/?#\s]+/i.test(blobEndpoint)) {
    throw new StorageConfigError('blob: the connection string\'s BlobEndpoint is not an http(s) URL');
  }
  // The SDK only recognises UseDevelopmentStorage at the very start.
  const sdkSettings = settings
    .filter((s) => s.name !== 'Container')
    .sort((a, b) => Number(b.name === 'UseDevelopmentStorage') - Number(a.name === 'UseDevelopmentStorage'));
  return {
    kind: 'blob',
    auth: 'connectionString',
    connectionString: sdkSettings.map((s) => `${s.name}=${s.value}`).join(';'),
    container: checkContainer(container),
  };
}

/** Azure's container naming rule: 3-63 characters, lower-case letters, digits and single inner hyphens. */
function checkContainer(name: string): string {
  if (!/^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) {
    throw new StorageConfigError('blob: the container name must be 3-63 lower-case letters, digits and single hyphens');
  }
  return name;
}

export interface OpenStorageOptions {
  /**
   * The credential for `blob:<account URL>`. Default: DefaultAzureCredential, which on App Service uses the
   * managed identity whose client id is in AZURE_CLIENT_ID (and AZURE_CLIENT_ID/AZURE_TENANT_ID/... elsewhere).
   */
  credential?: TokenCredential | StorageSharedKeyCredential;
  /** Tuning for a `blob:` storage (listing page size, concurrency, deadlines) and its SDK retry policy. */
  blob?: BlobStorageOptions & { retry?: StorageRetryOptions };
}

/**
 * Opens the storage a STORAGE_URL names; any failure becomes one StorageConfigError line without secrets. A Blob
 * container is checked (and created if missing) here, so a wrong account, credential or role fails at start-up.
 */
export async function openStorage(
  url: string = DEFAULT_STORAGE_URL,
  options: OpenStorageOptions = {},
): Promise<ClosableStorage> {
  const target = parseStorageUrl(url);
  if (target.kind === 'memory') return new MemoryStorage();
  if (target.kind === 'blob') return openBlob(target, options);
  try {
    return new SqliteStorage(target.path);
  } catch (err) {
    // The path is configuration, not a secret; the cause says why (permissions, not a database file, ...).
    const reason = err instanceof Error ? err.message : String(err);
    throw new StorageConfigError(`cannot open SQLite database "${target.path}": ${reason}`, { cause: err });
  }
}

async function openBlob(target: BlobTarget, options: OpenStorageOptions): Promise<ClosableStorage> {
  // Loaded on demand: the Azure SDKs are large and most deployments of one instance use SQLite.
  const { BlobStorage, containerClientFor } = await import('./blob-storage');
  // The account URL is not secret; a connection string's endpoint names the account, so it is left out.
  const where = target.auth === 'azureCredential' ? ` at ${target.accountUrl}` : '';
  let credential = options.credential;
  try {
    if (target.auth === 'azureCredential' && !credential) {
      const { DefaultAzureCredential } = await import('@azure/identity');
      credential = new DefaultAzureCredential();
    }
    const client = containerClientFor(target, credential, options.blob?.retry);
    return await BlobStorage.open(client, options.blob);
  } catch (err) {
    throw new StorageConfigError(`cannot open Azure Blob container "${target.container}"${where}: ${describeBlobFailure(err)}`, {
      cause: err,
    });
  }
}

/** Why opening a container failed, in a few words: status and service error code, or the error's class. */
function describeBlobFailure(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { statusCode?: unknown; code?: unknown; name?: unknown };
  if (typeof e.statusCode === 'number') {
    const hint = e.statusCode === 403 ? ' (check the credential and its role on the storage account, e.g. Storage Blob Data Contributor)' : '';
    return `${e.statusCode}${typeof e.code === 'string' ? ` ${e.code}` : ''}${hint}`;
  }
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    return `${e.name} (no usable Azure credential; on App Service set AZURE_CLIENT_ID to the managed identity's client id)`;
  }
  if (e.name === 'AbortError') return 'timed out';
  if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code; // ECONNREFUSED, ENOTFOUND, ...
  return typeof e.name === 'string' ? e.name : 'unknown error';
}
