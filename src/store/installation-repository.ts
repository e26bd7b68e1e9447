// Where the bot is installed: one record per Teams user (keyed by their AccountId) with the conversation reference
// the bot needs to post proactively, whether the installation is active, whether the user asked to stop watching,
// and the facts cards are drawn from (the phone number calls ring). Every change is an eTag-guarded
// read-modify-write, retried when another writer got in between, so that concurrent changes of different fields
// (a message refreshing the reference while a connection notice is noted) all survive.
import type { AccountId } from './account-id';
import { type Clock, DEFAULT_MAX_ATTEMPTS, type RepositoryOptions, systemClock } from './clock';
import { decodeInstallation, guarded, type Versioned } from './codec';
import { retryOnConflict } from './conflict-retry';
import { KEY_PREFIXES, storageKeys } from './keys';
import type { PhoneNumber } from './phone-number';
import type { ScanStorage } from './storage';

/**
 * The conversation reference as the store sees it: opaque, kept whole as the channel gave it. The store reads only
 * the conversation id (to tell whether a refusal is about the current conversation); the bot gives it its type.
 */
export interface ChatReferenceRecord {
  conversation?: { id?: string };
  user?: { id?: string };
}

/** What the user was last told about their Skype connection being down (cleared when it is back). */
export type ConnectionNotice = 'authFailed' | 'unreachable';

export interface Installation<R extends ChatReferenceRecord = ChatReferenceRecord> {
  aadObjectId: AccountId;
  /** The user's UPN, normalised like every AccountId (the accounts file may name a user by it). */
  upn?: AccountId;
  name?: string;
  reference: R;
  /** False after the app was removed (or Teams said the bot may not write any more). */
  active: boolean;
  /** The user said `disconnect`: do not watch until they say `connect`. */
  paused: boolean;
  /**
   * UCWA_AUTH=oauth: the user completed the chat sign-in and has not signed out. Only the fact is kept: the tokens
   * stay in the Bot Framework token service.
   */
  signedIn?: boolean;
  /** The user's IANA time zone as Teams last reported it (activity.localTimezone), for the times on cards. */
  timeZone?: string;
  connectionNotice?: ConnectionNotice;
  /** oauth mode: the user was sent the sign-in-again card for the current failure (kept across restarts). */
  signInPrompted?: boolean;
  /**
   * The reference is one the bot made itself (createConversation after Teams lost the chat), not one Teams sent.
   * If Teams loses that one too, the installation is given up rather than re-created again and again.
   */
  recreated?: boolean;
  /** The number the user gave with the `phone` command (normalised). Wins over linkedPhoneNumber. */
  phoneNumber?: PhoneNumber;
  /** The number the accounts file gives the linked account, noted whenever the account is watched. */
  linkedPhoneNumber?: string;
  updatedAt: string;
}

/** Who wrote, as the channel says it; each field refreshes the stored one when given. */
export interface InstallationIdentity {
  upn?: AccountId;
  name?: string;
  timeZone?: string;
}

/** The fields a plain update may change. */
export type InstallationPatch = Partial<
  Pick<Installation, 'active' | 'paused' | 'upn' | 'signedIn' | 'connectionNotice' | 'signInPrompted' | 'phoneNumber' | 'linkedPhoneNumber'>
>;

/** The number a call is answered on: the user's own when they gave one, else the accounts file's. */
export function callPhoneNumber(installation: Pick<Installation, 'phoneNumber' | 'linkedPhoneNumber'> | undefined): string | undefined {
  return installation?.phoneNumber ?? installation?.linkedPhoneNumber;
}

export class InstallationRepository<R extends ChatReferenceRecord = ChatReferenceRecord> {
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly storage: ScanStorage,
    options: RepositoryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  async get(id: AccountId): Promise<Installation<R> | undefined> {
    return (await this.read(id))?.value;
  }

  /**
   * Stores (or refreshes) the reference Teams sent; re-activates a removed installation. Keeps every other fact
   * (paused, signed in, notices, phone numbers); a reference from Teams is no longer one the bot made itself.
   */
  async saveReference(id: AccountId, reference: R, who: InstallationIdentity = {}): Promise<Installation<R>> {
    return this.change(id, (existing) => {
      const { recreated: _recreated, ...kept } = existing ?? {};
      const next: Installation<R> = {
        ...kept,
        aadObjectId: id,
        upn: who.upn ?? existing?.upn,
        name: who.name ?? existing?.name,
        timeZone: who.timeZone ?? existing?.timeZone,
        reference,
        active: true,
        paused: existing?.paused ?? false,
        updatedAt: this.now(),
      };
      return next;
    }) as Promise<Installation<R>>;
  }

  /** Changes the given fields (a field given as undefined is removed); undefined when there is no installation. */
  async update(id: AccountId, patch: InstallationPatch): Promise<Installation<R> | undefined> {
    return this.change(id, (existing) => existing && { ...existing, ...patch, updatedAt: this.now() });
  }

  /**
   * Teams refused a send to `conversationId`: marks the installation inactive, unless it has meanwhile moved to
   * another conversation (a reinstall, a new client); then the refusal is about a conversation that no longer
   * matters, and false is returned.
   */
  deactivateConversation(id: AccountId, conversationId: string | undefined): Promise<boolean> {
    return this.updateIfStillIn(id, conversationId, { active: false });
  }

  /**
   * Replaces a conversation Teams no longer knows with one the bot created, unless the installation has meanwhile
   * moved on (a reinstall or a message brought a fresh reference). True when replaced.
   */
  replaceLostConversation(id: AccountId, lostConversationId: string | undefined, reference: R): Promise<boolean> {
    return this.updateIfStillIn(id, lostConversationId, { reference, recreated: true });
  }

  async list(): Promise<Array<Installation<R>>> {
    const keys = await this.storage.keysWithPrefix(KEY_PREFIXES.installation);
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    return keys.map((key) => decodeInstallation(items, key)?.value as Installation<R> | undefined).filter((i): i is Installation<R> => !!i);
  }

  /**
   * Applies `patch` only while the installation still points at `conversationId`. A writer that got in between
   * may have moved it, so a lost race is not retried blindly: it is decided again on what that writer left.
   */
  private async updateIfStillIn(id: AccountId, conversationId: string | undefined, patch: Partial<Installation<R>>): Promise<boolean> {
    const changed = await this.change(id, (existing) => {
      if (!existing || existing.reference.conversation?.id !== conversationId) return undefined;
      return { ...existing, ...patch, updatedAt: this.now() };
    });
    return changed !== undefined;
  }

  /**
   * One guarded read-modify-write: `next` sees the stored installation (or undefined) and returns what to store, or
   * undefined to store nothing. A new key cannot be guarded (botbuilder's Storage has no "create if absent"), so a
   * first write is unconditional; every later one carries the eTag it read.
   */
  private change(id: AccountId, next: (existing: Installation<R> | undefined) => Installation<R> | undefined): Promise<Installation<R> | undefined> {
    const key = storageKeys.installation(id);
    return retryOnConflict(`changing ${key}`, this.maxAttempts, async () => {
      const current = await this.read(id);
      const value = next(current?.value);
      if (!value) return undefined;
      await this.storage.write({ [key]: guarded(value, current?.eTag) });
      return value;
    });
  }

  private async read(id: AccountId): Promise<Versioned<Installation<R>> | undefined> {
    const key = storageKeys.installation(id);
    return decodeInstallation(await this.storage.read([key]), key) as Versioned<Installation<R>> | undefined;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
