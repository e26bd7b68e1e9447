// Where the bot is installed: one record per Teams user (keyed by Entra object id) with the conversation reference
// the bot needs to post proactively, whether the installation is active, and whether the user asked to stop watching.
import type { ConversationReference } from 'botbuilder';
import { ETagConflictError, type ScanStorage } from '../src/store';

/** What the user was last told about their Skype connection being down (cleared when it is back). */
export type ConnectionNotice = 'authFailed' | 'unreachable';

export interface Installation {
  aadObjectId: string;
  upn?: string;
  name?: string;
  reference: Partial<ConversationReference>;
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
  updatedAt: string;
}

const PREFIX = 'sfb/installations/';

export class InstallationRepository {
  constructor(private readonly storage: ScanStorage) {}

  private key(aadObjectId: string): string {
    return `${PREFIX}${aadObjectId.toLowerCase()}`;
  }

  async get(aadObjectId: string): Promise<Installation | undefined> {
    const key = this.key(aadObjectId);
    const items = await this.storage.read([key]);
    const item = items[key] as (Installation & { eTag?: string }) | undefined;
    if (!item) return undefined;
    const { eTag: _eTag, ...installation } = item;
    return installation;
  }

  /** Stores (or refreshes) the reference; re-activates a removed installation. Keeps `paused` and `signedIn`. */
  async saveReference(aadObjectId: string, reference: Partial<ConversationReference>, who: { upn?: string; name?: string; timeZone?: string } = {}): Promise<Installation> {
    const existing = await this.get(aadObjectId);
    const installation: Installation = {
      aadObjectId: aadObjectId.toLowerCase(),
      upn: who.upn ?? existing?.upn,
      name: who.name ?? existing?.name,
      reference,
      active: true,
      paused: existing?.paused ?? false,
      signedIn: existing?.signedIn,
      timeZone: who.timeZone ?? existing?.timeZone,
      connectionNotice: existing?.connectionNotice,
      signInPrompted: existing?.signInPrompted,
      updatedAt: new Date().toISOString(),
    };
    await this.write(installation);
    return installation;
  }

  async update(aadObjectId: string, patch: Partial<Pick<Installation, 'active' | 'paused' | 'upn' | 'signedIn' | 'connectionNotice' | 'signInPrompted'>>): Promise<Installation | undefined> {
    const existing = await this.get(aadObjectId);
    if (!existing) return undefined;
    const next = { ...existing, ...patch, updatedAt: new Date().toISOString() };
    await this.write(next);
    return next;
  }

  /**
   * Teams refused a send to `conversationId`: marks the installation inactive, unless it has meanwhile moved to
   * another conversation (a reinstall, a new client) or changed under us; then the refusal is about a conversation
   * that no longer matters, and false is returned.
   */
  deactivateConversation(aadObjectId: string, conversationId: string | undefined): Promise<boolean> {
    return this.updateIfStillIn(aadObjectId, conversationId, { active: false });
  }

  /**
   * Replaces a conversation Teams no longer knows with one the bot created, unless the installation has meanwhile
   * moved on (a reinstall or a message brought a fresh reference). True when replaced.
   */
  replaceLostConversation(aadObjectId: string, lostConversationId: string | undefined, reference: Partial<ConversationReference>): Promise<boolean> {
    return this.updateIfStillIn(aadObjectId, lostConversationId, { reference, recreated: true });
  }

  /** Applies `patch` only while the installation still points at `conversationId` (eTag-guarded). */
  private async updateIfStillIn(aadObjectId: string, conversationId: string | undefined, patch: Partial<Installation>): Promise<boolean> {
    const key = this.key(aadObjectId);
    const item = (await this.storage.read([key]))[key] as (Installation & { eTag?: string }) | undefined;
    if (!item || item.reference.conversation?.id !== conversationId) return false;
    try {
      await this.storage.write({ [key]: { ...item, ...patch, updatedAt: new Date().toISOString() } });
      return true;
    } catch (err) {
      if (err instanceof ETagConflictError) return false;
      throw err;
    }
  }

  async list(): Promise<Installation[]> {
    const keys = await this.storage.keysWithPrefix(PREFIX);
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    return keys.map((k) => items[k] as Installation | undefined).filter((i): i is Installation => !!i);
  }

  private async write(installation: Installation): Promise<void> {
    // Last writer wins: the reference is refreshed by every message, there is nothing to merge.
    await this.storage.write({ [this.key(installation.aadObjectId)]: { ...installation, eTag: '*' } });
  }
}
