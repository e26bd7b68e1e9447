// ScanStorage on one Azure Blob Storage container: the store that several bot instances can share. One blob per
// key, the item's JSON as its body, Azure's ETag as the item's eTag. Implemented directly on @azure/storage-blob
// rather than by wrapping botbuilder-azure-blobs' BlobsStorage, because BlobsStorage 4.23.3 (its source read, its
// behaviour checked against Azurite in blob-storage.test.ts) aliases keys ("a//b" and "a/b", "x/" and "x" share
// one blob; by its source, keys are also cut at 1024 characters), throws eTag conflicts as a plain Error that
// isETagConflict cannot recognise, cannot list keys, and writes the items of one call in parallel, unchecked.
//
// eTag semantics (the contract suite's, as for SQLite and memory):
// - a specific eTag writes with If-Match: a stale eTag, or a key that does not exist, is an ETagConflictError;
// - '*', '' or no eTag writes unconditionally (creates or overwrites).
//
// Multi-item writes are NOT atomic (Blob Storage has no transactions across blobs). What write() does instead:
// 1. validates and serialises every item (TypeError, nothing written);
// 2. if the write has several items, checks every eTag condition first (one HEAD each): a stale or missing item
//    is an ETagConflictError and nothing is written;
// 3. writes the items one by one, in the order of the `changes` object's keys, each still guarded by If-Match.
//    If a conflict surfaces here (another writer slipped in after step 2), the ETagConflictError lists in
//    `written` the items already stored; any other failure after the first item is a PartialWriteError listing
//    them. Writers that need a safe partial state order their items so that any prefix is harmless (event-batch
//    puts notifications before records and the account session last).
// Multi-key reads are not a snapshot either: each blob is read on its own.
//
// Every write stores the write plan's random id in the blob's metadata. When the SDK retries a conditional upload
// whose first attempt landed but whose response was lost, the retry fails If-Match against our own version; the
// id tells that apart from someone else's write, so the write succeeds instead of reporting a false conflict.
// Every SDK call runs with the SDK's retry policy (below), a deadline, and an abort signal that close() fires.
//
// Keys are encoded into blob names byte by byte (UTF-8): A-Z a-z 0-9 '-' '_' stay, every other byte becomes
// '~' and two upper-case hex digits. So every key has exactly one blob name, names never end in '.' or '/', the
// SDK's URL escaping has nothing to do ('%' is never used), and the encoding of a prefix is a prefix of the
// encoding of every key that starts with it, which is what keysWithPrefix lists by.
import { inspect } from 'node:util';
import type { StoreItems } from 'botbuilder';
import {
  ContainerClient,
  type StoragePipelineOptions,
  type StorageRetryOptions,
  StorageRetryPolicyType,
  type StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { ETagConflictError, PartialWriteError, StoreDataError } from './errors';
import { type ClosableStorage, compareKeys } from './storage';
import type { BlobTarget } from './storage-url';
import { checkKeys, type PlannedWrite, planWrites } from './write-plan';

export interface BlobStorageOptions {
  /** Blobs per listing page in keysWithPrefix (the service returns at most 5000). Default 5000. */
  listPageSize?: number;
  /** How many blobs read/delete/the eTag pre-check handle at once. Default 16. */
  concurrency?: number;
  /**
   * Deadline of one storage call, including the SDK's retries of it (each listing page is one call). Default
   * 30000. close() aborts whatever is still in flight.
   */
  operationTimeoutMs?: number;
}

/**
 * The retry policy every client gets: exponential, 4 tries, short delays (a click has to be answered within the
 * Teams invoke window, so waiting minutes, the SDK's default ceiling, helps nobody), and a per-try server timeout.
 * The SDK retries network errors, 500 and 503; a write it retried after a lost response is recognised (see put).
 */
export const DEFAULT_BLOB_RETRY_OPTIONS: Readonly<StorageRetryOptions> = {
  retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
  maxTries: 4,
  retryDelayInMs: 200,
  maxRetryDelayInMs: 2000,
  tryTimeoutInMs: 10_000,
};

export function blobPipelineOptions(retry: StorageRetryOptions = {}): StoragePipelineOptions {
  return {
    retryOptions: { ...DEFAULT_BLOB_RETRY_OPTIONS, ...retry },
    userAgentOptions: { userAgentPrefix: 'skype-invitations-for-teams' },
  };
}

/**
 * The container client for a parsed `blob:` STORAGE_URL. An account URL needs a credential (the caller passes
 * DefaultAzureCredential in production); a connection string carries its own (account key or SAS).
 */
export function containerClientFor(
  target: BlobTarget,
  credential: TokenCredential | StorageSharedKeyCredential | undefined,
  retry?: StorageRetryOptions,
): ContainerClient {
  const options = blobPipelineOptions(retry);
  if (target.auth === 'connectionString') return new ContainerClient(target.connectionString, target.container, options);
  if (!credential) throw new TypeError('containerClientFor: an account URL needs a credential');
  return new ContainerClient(`${target.accountUrl}/${target.container}`, credential, options);
}

/** Blob names are limited to 1024 characters. */
export const MAX_BLOB_NAME_LENGTH = 1024;
/** Metadata naming the write that produced a blob's current version (the write plan's random eTag). */
const WRITE_ID = 'writeid';
const CONTENT_TYPE = 'application/json; charset=utf-8';
const MISSING = 'the item does not exist (a specific eTag was given)';
const CHANGED = 'the stored item changed since it was read';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ENCODED_NAME = /^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})+$/;

function isPlainByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f;
}

function encode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += isPlainByte(b) ? String.fromCharCode(b) : `~${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The blob name of a storage key. TypeError (naming the key) for keys no blob can be named after. */
export function blobNameForKey(key: string): string {
  if (key === '') throw new TypeError('Storage: BlobStorage cannot store the empty key');
  if (LONE_SURROGATE.test(key)) throw new TypeError(`Storage: key "${key}" is not well-formed Unicode (lone surrogate)`);
  const name = encode(key);
  if (name.length > MAX_BLOB_NAME_LENGTH) {
    throw new TypeError(
      `Storage: key "${key.slice(0, 80)}..." is too long for Azure Blob (${name.length} characters encoded, at most ${MAX_BLOB_NAME_LENGTH})`,
    );
  }
  return name;
}

/** The storage key a blob name encodes, or undefined for a name this encoding never produces (a foreign blob). */
export function keyForBlobName(name: string): string | undefined {
  if (!ENCODED_NAME.test(name)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '~') {
      bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(name.charCodeAt(i));
    }
  }
  const key = Buffer.from(bytes).toString('utf8');
  // Invalid UTF-8 or a byte escaped that need not be: not one of ours.
  return encode(key) === name ? key : undefined;
}

/** The blob-name prefix to list for a key prefix, or undefined when no storable key can start with it. */
function listingPrefix(prefix: string): string | undefined {
  // A prefix may end half-way through a surrogate pair: list by what comes before it, filter by the whole prefix.
  const whole = /[\uD800-\uDBFF]$/.test(prefix) ? prefix.slice(0, -1) : prefix;
  return LONE_SURROGATE.test(whole) ? undefined : encode(whole);
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** 404 for the blob itself (not for its container, which is an operational failure to report). */
function isBlobNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && codeOf(err) !== 'ContainerNotFound';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface BlobWrite extends PlannedWrite {
  readonly blob: string;
}

interface BlobState {
  eTag: string;
  writeId: string | undefined;
}

export class BlobStorage implements ClosableStorage {
  readonly containerName: string;
  private readonly listPageSize: number;
  private readonly concurrency: number;
  private readonly operationTimeoutMs: number;
  /** One controller per SDK call in flight, so close() can abort them. */
  private readonly inFlight = new Set<AbortController>();
  private containerReady: Promise<void> | undefined;
  private closed = false;

  /**
   * Opens the storage and makes sure the container exists (creating it if missing), so that a wrong account,
   * credential or permission fails here, at start-up, rather than on the first click.
   */
  static async open(container: ContainerClient, options: BlobStorageOptions = {}): Promise<BlobStorage> {
    const storage = new BlobStorage(container, options);
    try {
      await storage.ensureContainer();
    } catch (err) {
      await storage.close();
      throw err;
    }
    return storage;
  }

  /** Uses the container lazily (created on first use if missing); BlobStorage.open checks it up front. */
  constructor(
    private readonly container: ContainerClient,
    options: BlobStorageOptions = {},
  ) {
    this.containerName = container.containerName;
    this.listPageSize = positiveInteger(options.listPageSize ?? 5000, 'listPageSize', 5000);
    this.concurrency = positiveInteger(options.concurrency ?? 16, 'concurrency');
    this.operationTimeoutMs = positiveInteger(options.operationTimeoutMs ?? 30_000, 'operationTimeoutMs');
  }

  async read(keys: string[]): Promise<StoreItems> {
    this.checkOpen();
    checkKeys(keys, 'read');
    const wanted = [...new Set(keys)];
    if (wanted.length === 0) return {};
    await this.ensureContainer();
    const found = await mapLimit(wanted, this.concurrency, (key) => this.readOne(key));
    const items: StoreItems = {};
    wanted.forEach((key, i) => {
      const item = found[i];
      if (item) items[key] = item;
    });
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    this.checkOpen();
    // Every item is checked (JSON object, storable key) before anything is sent.
    const plan: BlobWrite[] = planWrites(changes).map((w) => ({ ...w, blob: blobNameForKey(w.key) }));
    if (plan.length === 0) return;
    await this.ensureContainer();
    if (plan.length > 1) await this.checkConditions(plan);
    const written: string[] = [];
    for (const w of plan) {
      let conflict: string | undefined;
      try {
        conflict = await this.put(w);
      } catch (err) {
        throw written.length > 0 ? new PartialWriteError(w.key, written, err) : err;
      }
      if (conflict !== undefined) throw new ETagConflictError(w.key, conflict, written);
      written.push(w.key);
    }
  }

  async delete(keys: string[]): Promise<void> {
    this.checkOpen();
    checkKeys(keys, 'delete');
    const names = [...new Set(keys)].map(tryBlobName).filter((n): n is string => n !== undefined);
    if (names.length === 0) return;
    await this.ensureContainer();
    await mapLimit(names, this.concurrency, (name) =>
      this.call((abortSignal) => this.container.getBlobClient(name).deleteIfExists({ abortSignal })),
    );
  }

  async keysWithPrefix(prefix: string): Promise<string[]> {
    this.checkOpen();
    if (typeof prefix !== 'string') throw new TypeError('Storage: keysWithPrefix(prefix) needs a string');
    const blobPrefix = listingPrefix(prefix);
    if (blobPrefix === undefined) return [];
    await this.ensureContainer();
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      // One call per page, each with its own deadline.
      const { value: page } = await this.call((abortSignal) =>
        this.container
          .listBlobsFlat({ prefix: blobPrefix || undefined, abortSignal })
          .byPage({ continuationToken, maxPageSize: this.listPageSize })
          .next(),
      );
      if (!page) break;
      for (const item of page.segment.blobItems) {
        const key = keyForBlobName(item.name);
        if (key !== undefined && key.startsWith(prefix)) keys.push(key);
      }
      continuationToken = page.continuationToken || undefined;
    } while (continuationToken);
    return keys.sort(compareKeys);
  }

  /** Aborts whatever is in flight (shutdown must not hang on a stalled request). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  // The client holds the credential (an account key, for a connection string): never print it.
  toJSON(): { name: string; container: string } {
    return { name: 'BlobStorage', container: this.containerName };
  }

  [inspect.custom](): string {
    return `BlobStorage(${this.containerName})`;
  }

  private async readOne(key: string): Promise<Record<string, unknown> | undefined> {
    const name = tryBlobName(key);
    if (name === undefined) return undefined; // nothing can be stored under it
    let eTag: string | undefined;
    let body: Buffer;
    try {
      ({ eTag, body } = await this.call(async (abortSignal) => {
        const response = await this.container.getBlobClient(name).download(0, undefined, { abortSignal });
        const stream = response.readableStreamBody;
        return { eTag: response.etag, body: stream ? await readAll(stream) : Buffer.alloc(0) };
      }));
    } catch (err) {
      if (isBlobNotFound(err)) return undefined;
      throw err;
    }
    if (!eTag) throw new StoreDataError(key, 'Azure Blob returned it without an ETag');
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new StoreDataError(key, 'the blob is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StoreDataError(key, 'the blob is not a JSON object');
    }
    return { ...(value as Record<string, unknown>), eTag };
  }

  /** Step 2 of write(): every eTag condition holds right now, or nothing is written. */
  private async checkConditions(plan: readonly BlobWrite[]): Promise<void> {
    const conditional = plan.filter((w) => w.expectedETag !== undefined);
    if (conditional.length === 0) return;
    const problems = await mapLimit(conditional, this.concurrency, async (w) => {
      const current = await this.state(w.blob);
      if (!current) return MISSING;
      return current.eTag === w.expectedETag ? undefined : CHANGED;
    });
    const i = problems.findIndex((p) => p !== undefined);
    if (i >= 0) throw new ETagConflictError(conditional[i].key, problems[i]);
  }

  /** Uploads one item. Returns undefined when stored, or why its eTag condition failed. */
  private async put(w: BlobWrite): Promise<string | undefined> {
    const body = Buffer.from(w.json, 'utf8');
    try {
      await this.call((abortSignal) =>
        this.container.getBlockBlobClient(w.blob).upload(body, body.length, {
          conditions: w.expectedETag !== undefined ? { ifMatch: w.expectedETag } : undefined,
          blobHTTPHeaders: { blobContentType: CONTENT_TYPE },
          metadata: { [WRITE_ID]: w.newETag },
          abortSignal,
        }),
      );
      return undefined;
    } catch (err) {
      // If-Match on a missing blob is 412 (Azurite); 404 BlobNotFound is taken as the same answer.
      if (w.expectedETag === undefined || !(statusOf(err) === 412 || isBlobNotFound(err))) throw err;
    }
    // The SDK retries a request whose response was lost; if the first attempt had landed, the retry meets our own
    // version and fails its If-Match. The write id in the metadata tells that apart from someone else's write.
    const current = await this.state(w.blob);
    if (!current) return MISSING;
    return current.writeId === w.newETag ? undefined : CHANGED;
  }

  private async state(blob: string): Promise<BlobState | undefined> {
    try {
      const props = await this.call((abortSignal) => this.container.getBlobClient(blob).getProperties({ abortSignal }));
      if (!props.etag) throw new StoreDataError(keyForBlobName(blob) ?? blob, 'Azure Blob returned it without an ETag');
      return { eTag: props.etag, writeId: props.metadata?.[WRITE_ID] };
    } catch (err) {
      if (isBlobNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Checks (once) that the container exists and creates it if not; a failure is retried on the next call. */
  private ensureContainer(): Promise<void> {
    this.containerReady ??= this.createContainerIfMissing().catch((err: unknown) => {
      this.containerReady = undefined;
      throw err;
    });
    return this.containerReady;
  }

  private async createContainerIfMissing(): Promise<void> {
    // Look before creating: an identity granted data access on this container only may not create containers.
    try {
      await this.call((abortSignal) => this.container.getProperties({ abortSignal }));
      return;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    try {
      await this.call((abortSignal) => this.container.create({ abortSignal }));
    } catch (err) {
      if (codeOf(err) !== 'ContainerAlreadyExists') throw err; // another instance created it meanwhile
    }
  }

  /**
   * Runs one SDK call (with its retries) under its own abort signal, fired by the deadline or by close(). Not
   * AbortSignal.any over a long-lived close signal: Node 20/22 keep every such combined signal alive
   * (nodejs/node#55351).
   */
  private async call<T>(operation: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    if (this.closed) controller.abort(); // an operation that began before close() goes no further
    this.inFlight.add(controller);
    const deadline = setTimeout(() => controller.abort(), this.operationTimeoutMs);
    try {
      return await operation(controller.signal);
    } finally {
      clearTimeout(deadline);
      this.inFlight.delete(controller);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`BlobStorage(${this.containerName}): used after close()`);
  }
}

function tryBlobName(key: string): string | undefined {
  try {
    return blobNameForKey(key);
  } catch {
    return undefined;
  }
}

function positiveInteger(value: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`BlobStorage: ${name} must be an integer from 1 to ${max}`);
  }
  return value;
}
