// Conversations, relayed messages and replies (see conversation-records.ts). The event-batch write calls
// conversationBatchChanges so a message and its relay entry land with the batch, before it is acknowledged; the bot's
// relay drains the entries in arrival order; replies are claimed once by their idempotency key before they are sent.
import type { StoreItems } from 'botbuilder';
import { type Clock, DEFAULT_MAX_ATTEMPTS, type RepositoryOptions, systemClock } from './clock';
import { type Check, decode, definedOnly, guarded, type Versioned } from './codec';
import { retryOnConflict } from './conflict-retry';
import {
  CONVERSATION_KEY_PREFIXES,
  type ConversationEndedBy,
  conversationKeys,
  type ConversationRecord,
  type MessageRecord,
  type MessageRelay,
  type MessageUpsert,
  messageIdFor,
  type ReplyRecord,
  type ReplyState,
} from './conversation-records';
import type { ScanStorage } from './storage';

/** What an event batch says about conversations: their messaging links and state, and the messages that arrived. */
export interface ConversationUpsert {
  invitationId: string;
  accountId: string;
  conversationHref: string;
  sendMessageHref?: string;
  stopMessagingHref?: string;
  /** Set when the batch ended the conversation. */
  endedBy?: ConversationEndedBy;
  /** The batch carried an incoming message. */
  sawIncomingMessage?: boolean;
}

export interface ConversationBatch {
  conversations?: ConversationUpsert[];
  messages?: MessageUpsert[];
}

const isConversation: Check<ConversationRecord> = (v): v is Record<string, unknown> & ConversationRecord =>
  typeof v.invitationId === 'string' && typeof v.conversationHref === 'string' && typeof v.state === 'string';
const isMessage: Check<MessageRecord> = (v): v is Record<string, unknown> & MessageRecord =>
  typeof v.id === 'string' && typeof v.invitationId === 'string' && typeof v.text === 'string';
const isRelay: Check<MessageRelay> = (v): v is Record<string, unknown> & MessageRelay => typeof v.messageId === 'string' && typeof v.invitationId === 'string';
const isReply: Check<ReplyRecord> = (v): v is Record<string, unknown> & ReplyRecord => typeof v.id === 'string' && typeof v.text === 'string' && typeof v.state === 'string';

const readConversation = (items: StoreItems, key: string) => decode(items, key, 'conversation', isConversation);
const readMessage = (items: StoreItems, key: string) => decode(items, key, 'message', isMessage);
const readRelay = (items: StoreItems, key: string) => decode(items, key, 'message relay entry', isRelay);
const readReply = (items: StoreItems, key: string) => decode(items, key, 'reply', isReply);

/** The keys a batch must read before conversationBatchChanges can decide. */
export function conversationBatchKeys(batch: ConversationBatch): string[] {
  return [
    ...(batch.conversations ?? []).map((c) => conversationKeys.conversation(c.accountId, c.conversationHref)),
    ...(batch.messages ?? []).map((m) => conversationKeys.message(messageIdFor(m.invitationId, m.messageHref))),
  ];
}

/** Relay entries of batches written in the same millisecond keep their batch order: the index goes on counting. */
const relayOrder = { stamp: '', next: 0 };

function relayIndex(stamp: string): number {
  if (relayOrder.stamp !== stamp) Object.assign(relayOrder, { stamp, next: 0 });
  return relayOrder.next++;
}

/**
 * The storage items of a batch's conversation changes, given what was read: each new message with its relay entry
 * (a re-delivered message is already stored and adds nothing), and each conversation created or moved on.
 * Relay entries come first in the returned order, so a partial write on a store without transactions never leaves a
 * stored message without its relay entry; an entry whose message is not written yet is skipped until it is there.
 */
export function conversationBatchChanges(stored: StoreItems, batch: ConversationBatch, now: Date): { items: StoreItems; relayed: number } {
  const stamp = now.toISOString();
  const relays: StoreItems = {};
  const records: StoreItems = {};
  for (const m of batch.messages ?? []) {
    const id = messageIdFor(m.invitationId, m.messageHref);
    const key = conversationKeys.message(id);
    if (stored[key] !== undefined || records[key] !== undefined) continue;
    const record: MessageRecord = { id, invitationId: m.invitationId, accountId: m.accountId, messageHref: m.messageHref, authorName: m.authorName, text: m.text, receivedAt: stamp, suppressed: m.suppressed };
    records[key] = definedOnly(record);
    if (!m.suppressed) relays[conversationKeys.relay(stamp, relayIndex(stamp), id)] = { messageId: id, invitationId: m.invitationId } satisfies MessageRelay;
  }
  const conversations = new Map<string, { before?: Versioned<ConversationRecord>; next: ConversationRecord }>();
  for (const c of batch.conversations ?? []) {
    const key = conversationKeys.conversation(c.accountId, c.conversationHref);
    const prior = conversations.get(key);
    const before = prior?.before ?? readConversation(stored, key);
    const base: ConversationRecord = prior?.next ?? before?.value ?? { invitationId: c.invitationId, accountId: c.accountId, conversationHref: c.conversationHref, state: 'active', lastActivityAt: stamp, updatedAt: stamp };
    const next: ConversationRecord = { ...base, sendMessageHref: c.sendMessageHref ?? base.sendMessageHref, stopMessagingHref: c.stopMessagingHref ?? base.stopMessagingHref, updatedAt: stamp };
    // Leave was pressed: the end that follows is the user's own.
    if (c.sawIncomingMessage) next.sawIncomingMessage = true;
    if (c.endedBy && next.state !== 'ended') Object.assign(next, { state: 'ended', endedBy: base.state === 'leaving' ? 'user' : c.endedBy });
    conversations.set(key, { before, next });
  }
  for (const m of batch.messages ?? []) {
    for (const { next } of conversations.values()) if (next.invitationId === m.invitationId) next.lastActivityAt = stamp;
  }
  for (const [key, { before, next }] of conversations) records[key] = guarded(next, before?.eTag);
  return { items: { ...relays, ...records }, relayed: Object.keys(relays).length };
}

export type ReplyClaim = { claimed: true; reply: ReplyRecord } | { claimed: false; reply: ReplyRecord };

export class MessageRepository {
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly storage: ScanStorage,
    options: RepositoryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  async conversation(accountId: string, conversationHref: string): Promise<ConversationRecord | undefined> {
    const key = conversationKeys.conversation(accountId, conversationHref);
    return readConversation(await this.storage.read([key]), key)?.value;
  }

  /** The account's conversations, any state. */
  async conversationsOfAccount(accountId: string): Promise<ConversationRecord[]> {
    const keys = await this.storage.keysWithPrefix(conversationKeys.conversationsOfAccount(accountId));
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    return keys.map((k) => readConversation(items, k)?.value).filter((c): c is ConversationRecord => c !== undefined && c.accountId === accountId);
  }

  /** The conversation of an invitation (scan of its account's conversations). */
  async conversationOfInvitation(accountId: string, invitationId: string): Promise<ConversationRecord | undefined> {
    return (await this.conversationsOfAccount(accountId)).find((c) => c.invitationId === invitationId);
  }

  /** Moves a conversation (eTag-guarded); returns the record as written, or undefined when there is none. */
  async updateConversation(accountId: string, conversationHref: string, change: (c: ConversationRecord) => ConversationRecord | undefined): Promise<ConversationRecord | undefined> {
    return this.changeItem(conversationKeys.conversation(accountId, conversationHref), readConversation, (current) => {
      const next = change(current);
      if (!next) return { out: current };
      const written = { ...next, updatedAt: this.clock().toISOString() };
      return { next: written, out: written };
    });
  }

  async message(id: string): Promise<MessageRecord | undefined> {
    const key = conversationKeys.message(id);
    return readMessage(await this.storage.read([key]), key)?.value;
  }

  /** The relay entries, oldest first, with their keys. */
  async pendingRelays(): Promise<Array<{ key: string; relay: MessageRelay }>> {
    const keys = await this.storage.keysWithPrefix(CONVERSATION_KEY_PREFIXES.relay);
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    return keys.flatMap((key) => {
      const relay = readRelay(items, key)?.value;
      return relay ? [{ key, relay }] : [];
    });
  }

  /** Notes before a post that it starts; returns the time of an earlier post whose outcome was never stored. */
  async markPosting(id: string): Promise<{ earlierPostStartedAt?: string } | undefined> {
    return this.updateMessage(id, (m) => ({ next: { ...m, postStartedAt: this.clock().toISOString() }, out: { earlierPostStartedAt: m.postStartedAt } }));
  }

  /** The message is in Teams: its activity id is stored and its relay entry removed. */
  async setRelayed(id: string, relayKey: string, activityId: string): Promise<void> {
    await this.updateMessage(id, (m) => {
      const { postStartedAt: _started, ...rest } = m;
      return { next: { ...rest, teamsActivityId: activityId }, out: undefined };
    });
    await this.storage.delete([relayKey]);
  }

  /** Drops a relay entry that can never be delivered (its message or invitation is gone). */
  async dropRelay(relayKey: string): Promise<void> {
    await this.storage.delete([relayKey]);
  }

  /**
   * Claims a reply by its id before it is sent: the first claim wins, any later one (a Teams retry, a double click)
   * gets the stored reply and must not send. A reply that failed may be claimed again (the user tries once more).
   */
  async claimReply(reply: Pick<ReplyRecord, 'id' | 'invitationId' | 'accountId' | 'text'>): Promise<ReplyClaim> {
    const key = conversationKeys.reply(reply.id);
    return retryOnConflict(`claiming ${key}`, this.maxAttempts, async () => {
      const current = readReply(await this.storage.read([key]), key);
      if (current && current.value.state !== 'failed') return { claimed: false, reply: current.value };
      const stamp = this.clock().toISOString();
      const next: ReplyRecord = { ...reply, state: 'sending', createdAt: current?.value.createdAt ?? stamp, updatedAt: stamp };
      // A new key cannot be guarded (no create-if-absent); two instances claiming at the very same moment is what
      // ownership leases rule out (one instance per account).
      await this.storage.write({ [key]: guarded(next, current?.eTag) });
      return { claimed: true, reply: next };
    });
  }

  async reply(id: string): Promise<ReplyRecord | undefined> {
    const key = conversationKeys.reply(id);
    return readReply(await this.storage.read([key]), key)?.value;
  }

  async setReplyState(id: string, state: ReplyState, failure?: string): Promise<ReplyRecord | undefined> {
    return this.changeItem(conversationKeys.reply(id), readReply, (current) => {
      const next: ReplyRecord = { ...current, state, failure, updatedAt: this.clock().toISOString() };
      if (failure === undefined) delete next.failure;
      return { next, out: next };
    });
  }

  private updateMessage<T>(id: string, change: (m: MessageRecord) => { next: MessageRecord; out: T }): Promise<T | undefined> {
    return this.changeItem(conversationKeys.message(id), readMessage, change);
  }

  /**
   * One guarded read-modify-write of an existing item, retried on conflict: `change` returns what to store (none:
   * nothing is written) and what to answer; undefined when the item is not there.
   */
  private changeItem<T, R>(key: string, read: (items: StoreItems, key: string) => Versioned<T> | undefined, change: (current: T) => { next?: T; out: R }): Promise<R | undefined> {
    return retryOnConflict(`updating ${key}`, this.maxAttempts, async () => {
      const current = read(await this.storage.read([key]), key);
      if (!current) return undefined;
      const { next, out } = change(current.value);
      if (next) await this.storage.write({ [key]: guarded(next, current.eTag) });
      return out;
    });
  }
}
