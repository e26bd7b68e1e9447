// The typed records the bot keeps, and the stable ids that link a UCWA invitation to its one Teams card.
import { createHash } from 'node:crypto';
import type { InvitationReason } from './invitation-state';

export type InvitationKind = 'onlineMeeting' | 'messaging' | 'audioVideo';
export type Importance = 'Normal' | 'Urgent' | 'Emergency';

export const INVITATION_STATES = [
  'pending',
  'accepting',
  'declining',
  'inLobby',
  'connected',
  'declined',
  'cancelledBySender',
  'missed',
  'answeredElsewhere',
  'denied',
  'failed',
  'ended',
  /** An accepted conversation (IM) that is over: left by the user, ended by the other side, or left when idle. */
  'conversationEnded',
] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** States after which the invitation can no longer be acted on; the card shows the outcome and no buttons. */
export const TERMINAL_STATES: readonly InvitationState[] = [
  'declined',
  'cancelledBySender',
  'missed',
  'answeredElsewhere',
  'denied',
  'failed',
  'ended',
  'conversationEnded',
];

export function isTerminalState(state: InvitationState): boolean {
  return TERMINAL_STATES.includes(state);
}

export interface Party {
  name?: string;
  uri?: string;
  sourceNetwork?: string;
}

export interface OutcomeReason {
  code?: string;
  subcode?: string;
  message?: string;
}

/** UCWA hrefs cached from the `started` event. Server-side only: never put into card data. */
export interface InvitationActions {
  accept?: string;
  decline?: string;
  acceptWithPhoneAudio?: string;
}

export interface InvitationRecord {
  /** Stable, opaque, URL-safe; see invitationIdFor. The only reference a card carries. */
  id: string;
  accountId: string;
  kind: InvitationKind;
  subject?: string;
  importance: Importance;
  from: Party;
  onBehalfOf?: { name?: string; uri?: string };
  message?: string;
  onlineMeetingUri?: string;
  availableModalities: string[];
  threadId?: string;
  /**
   * The UCWA conversation the invitation belongs to. Lobby waits are reported on the conversation, not on the
   * invitation, so a restarted watcher needs it to tell which invitation a lobby event is about.
   */
  ucwaConversationHref?: string;
  /** ISO time the bot first saw the invitation. */
  receivedAt: string;
  state: InvitationState;
  /** Why it is in that state (see invitation-state.ts). Absent on records written before reasons were kept. */
  reason?: InvitationReason;
  /** The state is the bot's guess (e.g. after a lost connection): a later event of the pool may overrule it. */
  provisional?: true;
  /** What the pool said about the outcome (its code, subcode and words), when it said anything. */
  outcomeReason?: OutcomeReason;
  actions: InvitationActions;
  invitationHref: string;
  teamsActivityId?: string;
  conversationId?: string;
  /**
   * ISO time a post of the card began whose activity id is not stored yet. Written before the POST and cleared with
   * the id: found set by a later process, it says a copy of the card may exist that the bot cannot know of (the
   * process stopped while Teams had the POST), so the card is posted once more and that copy refreshes itself.
   */
  cardPostStartedAt?: string;
  /** ISO time of the last stored change. */
  updatedAt: string;
  /** Revision counter, +1 per stored change (the eTag is the concurrency guard; this is for humans and logs). */
  version: number;
}

/** What the watcher knows from a UCWA event; the store derives the id and keeps the Teams-side fields. */
export type InvitationUpsert = Omit<
  InvitationRecord,
  'id' | 'updatedAt' | 'version' | 'teamsActivityId' | 'conversationId' | 'reason' | 'provisional' | 'cardPostStartedAt'
>;

/** Fields a state transition may change along with the state. */
export type InvitationPatch = Partial<
  Omit<InvitationRecord, 'id' | 'accountId' | 'invitationHref' | 'state' | 'updatedAt' | 'version'>
>;

export type NotificationKind = 'post' | 'update';

/** "The card of this invitation must be posted/updated". At most one per invitation. */
export interface PendingNotification {
  invitationId: string;
  kind: NotificationKind;
  /**
   * ISO time of the latest enqueue folded into this notification. Strictly increasing per invitation, so it
   * identifies this version: complete(id, createdAt) leaves a newer enqueue alone.
   */
  createdAt: string;
  /** ISO time the invitation's card first became due (kept across collapses); the queue is ordered by it. */
  queuedSince: string;
}

/** Where an account's watcher is: signing in, watching, recovering from a failure, refused, or not watching. */
export type AccountStatus = 'connecting' | 'connected' | 'reconnecting' | 'authFailed' | 'stopped';

export interface AccountSession {
  accountId: string;
  sip: string;
  applicationHref?: string;
  /** The next P-GET URL on the event channel. */
  eventsHref?: string;
  poolOrigin?: string;
  status: AccountStatus;
  lastEventAt?: string;
  /** Already-redacted text of the last failure; capped in length by the repository. */
  lastError?: string;
  updatedAt: string;
}

export type AccountSessionInput = Omit<AccountSession, 'updatedAt'>;

/**
 * The stable id of an invitation: `<account part>.<invitation part>`, both base64url SHA-256 digests, so it holds
 * no readable PII, is the same on every re-delivery, and every id of one account shares a prefix (cheap scans).
 * `invitationRef` is the invitation's UCWA href (stable across its started/updated/completed events).
 */
export function invitationIdFor(accountId: string, invitationRef: string): string {
  return `${accountKeyFor(accountId)}.${digest(`invitation\0${accountId}\0${invitationRef}`, 22)}`;
}

/** The opaque per-account token used in ids and storage keys. */
export function accountKeyFor(accountId: string): string {
  return digest(`account\0${accountId}`, 16);
}

const ID_PATTERN = /^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}$/;

/** True for strings shaped like invitationIdFor output; use it on ids that arrive from card data. */
export function isInvitationId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, length);
}
