// What the store keeps about the live conversation an accepted invitation became: the conversation (where to send
// and how to leave), each remote message to relay to Teams (with its relay entry, written in the same storage write
// as the message, so it is relayed exactly once), and each reply typed in Teams (claimed once by its idempotency key,
// so Teams retries and double clicks never send it twice).
//
//   sfb/conversations/<accountKey>.<conversationPart>    ConversationRecord
//   sfb/messages/<invitationId>.<messagePart>            MessageRecord
//   sfb/message-relays/<stamp>.<nnnn>.<messageId>         MessageRelay (ordered by key: arrival order)
//   sfb/replies/<invitationId>.<replyKey>                 ReplyRecord
import { createHash } from 'node:crypto';
import { accountKeyFor } from './records';

export const CONVERSATION_KEY_PREFIXES = {
  conversation: 'sfb/conversations/',
  message: 'sfb/messages/',
  relay: 'sfb/message-relays/',
  reply: 'sfb/replies/',
} as const;

/**
 * Where an accepted conversation is (the invitation's card shows it through the invitation's state):
 * `active` messages flow; `leaving` the user pressed Leave and stopMessaging is on its way; `ended` it is over.
 */
export type ConversationState = 'active' | 'leaving' | 'ended';

/** Who ended a conversation: the user (Leave), the other side (left, or the pool ended it), or the idle timer. */
export type ConversationEndedBy = 'user' | 'remote' | 'idle';

export interface ConversationRecord {
  /** The invitation that became this conversation (its card is the conversation's card). */
  invitationId: string;
  accountId: string;
  conversationHref: string;
  /** UCWA hrefs from the messaging resource. Server-side only: never put into card data. */
  sendMessageHref?: string;
  stopMessagingHref?: string;
  state: ConversationState;
  endedBy?: ConversationEndedBy;
  /** ISO time of the last message either way (the idle timer runs from it). */
  lastActivityAt: string;
  /** An incoming message arrived: from then on no message is taken for the invitation's first one. */
  sawIncomingMessage?: true;
  updatedAt: string;
}

export interface MessageRecord {
  id: string;
  invitationId: string;
  accountId: string;
  /** The UCWA message href: the same on every re-delivery, so one message is one record. */
  messageHref: string;
  authorName?: string;
  /** Plain text, HTML already reduced to text (see ucwa/data-uri.ts); still untrusted. */
  text: string;
  receivedAt: string;
  /**
   * Not relayed because Teams has it already: the invitation's first message, which the card shows. Kept so that a
   * later message with the same words is not taken for it.
   */
  suppressed?: 'firstMessage';
  /** ISO time a post to Teams began whose activity id is not stored yet (see MessageRelayRepository). */
  postStartedAt?: string;
  teamsActivityId?: string;
}

/** "This message must be posted to Teams". One per message, created with it, deleted once posted. */
export interface MessageRelay {
  messageId: string;
  invitationId: string;
}

export type ReplyState = 'sending' | 'sent' | 'delivered' | 'failed';

export interface ReplyRecord {
  /** `<invitationId>.<replyKey>`; also the operationId the message is sent with, to match its outcome. */
  id: string;
  invitationId: string;
  accountId: string;
  text: string;
  state: ReplyState;
  /** Why it failed, in the pool's words or the bot's. */
  failure?: string;
  createdAt: string;
  updatedAt: string;
}

export interface MessageUpsert {
  invitationId: string;
  accountId: string;
  messageHref: string;
  authorName?: string;
  text: string;
  suppressed?: 'firstMessage';
}

export const conversationKeys = {
  conversation: (accountId: string, conversationHref: string): string => `${CONVERSATION_KEY_PREFIXES.conversation}${accountKeyFor(accountId)}.${digest(`conversation\0${conversationHref}`, 22)}`,
  conversationsOfAccount: (accountId: string): string => `${CONVERSATION_KEY_PREFIXES.conversation}${accountKeyFor(accountId)}.`,
  message: (messageId: string): string => `${CONVERSATION_KEY_PREFIXES.message}${messageId}`,
  relay: (stamp: string, index: number, messageId: string): string => `${CONVERSATION_KEY_PREFIXES.relay}${stamp}.${String(index).padStart(4, '0')}.${messageId}`,
  reply: (replyId: string): string => `${CONVERSATION_KEY_PREFIXES.reply}${replyId}`,
};

/** The stable id of a message: its invitation's id and a digest of its href (no readable text in keys). */
export function messageIdFor(invitationId: string, messageHref: string): string {
  return `${invitationId}.${digest(`message\0${messageHref}`, 22)}`;
}

const REPLY_KEY = /^[A-Za-z0-9_-]{8,64}$/;

/** The id of a reply from the idempotency key its card or message carried; undefined for a malformed key. */
export function replyIdFor(invitationId: string, replyKey: unknown): string | undefined {
  return typeof replyKey === 'string' && REPLY_KEY.test(replyKey) ? `${invitationId}.${replyKey}` : undefined;
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, length);
}
