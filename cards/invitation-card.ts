// The invitation card: what arrived, from whom, and where it stands; Accept and Decline while it is pending; Reply
// and Leave while an accepted IM goes on.
import { randomBytes } from 'node:crypto';
import type { Attachment } from 'botbuilder';
import { OWN_WORDS, statusOf as statusOfRecord } from '../src/store/invitation-state';
import type { InvitationKind, InvitationRecord, InvitationState } from '../src/store/records';
import { cardAttachment } from './attachment';
import { formatDateTime, kindLabel, modalitiesInWords, networkLabel, type TimeOptions } from './format';
import { defineTemplate, renderTemplate, type AdaptiveCardJson, type ContainerStyle } from './render';
import invitationTemplateJson from './templates/invitation.json';
import {
  cleanText,
  safeActionTitle,
  safeMessageLines,
  safeName,
  safeReason,
  safeSipAddress,
  safeSubject,
  safeText,
  safeUri,
} from './text';

/** The verbs of the invitation card's Action.Execute (and its Action.Submit fallback). */
export const INVITATION_VERBS = ['accept', 'decline'] as const;
/** The verbs of an accepted IM's card: send the typed reply, or leave the conversation. */
export const CONVERSATION_VERBS = ['reply', 'leave'] as const;
export type ConversationVerb = (typeof CONVERSATION_VERBS)[number];
/** The id of the card's reply input: Teams puts its value into the action's data under this name. */
export const REPLY_TEXT_INPUT = 'replyText';

/**
 * A fresh idempotency key for one reply: every copy of the card carries its own, so a double click or a Teams retry
 * of the same Send repeats the key (and the reply is sent once), while the next reply gets a card with a new one.
 */
export function newReplyKey(): string {
  return randomBytes(12).toString('base64url');
}
/**
 * The verb of the card's `refresh` action: Teams sends it whenever the invitee looks at any copy of the card, and
 * the bot answers with the card as it is now. So a copy the bot no longer knows about (one extra post after a crash
 * mid-post) still shows, and acts on, the current state.
 */
export const REFRESH_VERB = 'refresh';
export type InvitationVerb = (typeof INVITATION_VERBS)[number];

/** Everything an invitation card's action carries: the opaque invitation id and the verb. Never a URL. */
export interface InvitationActionData {
  invitationId: string;
  verb: InvitationVerb;
}

/** The data invitation.json is written against. Every key is always present. */
export interface InvitationCardData {
  refresh: { enabled: boolean; invitationId: string; userIds: string[] };
  header: {
    style: ContainerStyle;
    hasImportanceMarker: boolean;
    importanceMarker: string;
    importanceSize: 'medium' | 'large';
    kindLabel: string;
    hasSubject: boolean;
    subject: string;
    subjectPlaceholder: string;
  };
  sender: {
    label: string;
    name: string;
    hasAddress: boolean;
    address: string;
    isExternal: boolean;
    networkLabel: string;
    hasOnBehalfOf: boolean;
    onBehalfOf: string;
  };
  message: { hasMessage: boolean; lines: string[] };
  details: {
    receivedAt: string;
    hasModalities: boolean;
    modalities: string;
    hasJoinHost: boolean;
    joinHost: string;
    hasConferenceUri: boolean;
    conferenceUri: string;
  };
  status: { hasStatus: boolean; style: ContainerStyle; title: string; hasDetail: boolean; detail: string };
  actions: {
    invitationId: string;
    showJoin: boolean;
    joinTitle: string;
    joinUrl: string;
    showAccept: boolean;
    acceptTitle: string;
    showDecline: boolean;
    hasNote: boolean;
    note: string;
    showConversation: boolean;
    replyKey: string;
    draft: string;
  };
}

export interface InvitationCardOptions extends TimeOptions {
  /** False when the bot cannot accept this invitation (e.g. a call and no phone number to ring). */
  canAccept: boolean;
  /** Title of the Accept button (default "Accept"), e.g. "Accept on my phone". Plain text, capped. */
  acceptLabel?: string;
  /** A one-off line for the person who just clicked, e.g. that Skype for Business could not be reached. */
  notice?: string;
  /**
   * The invitee's Teams user id (the `29:...` id of the conversation reference's user). When given, the card asks
   * Teams to refresh it for that user (Adaptive Card `refresh` with `userIds`) each time it is shown.
   */
  inviteeTeamsId?: string;
  /** The idempotency key the Reply button carries (a fresh one when not given). */
  replyKey?: string;
  /** Text to put back into the reply input, e.g. a reply that could not be sent. */
  draft?: string;
}

export const invitationTemplate = defineTemplate<InvitationCardData>('invitation', invitationTemplateJson);

export function renderInvitationCard(record: InvitationRecord, options: InvitationCardOptions): AdaptiveCardJson {
  const card = renderTemplate(invitationTemplate, invitationCardData(record, options));
  // The templating engine leaves `refresh: null` where its `$when` was false: a card without refresh has no key.
  if (card.refresh === null) delete card.refresh;
  return card;
}

/** A Teams user id fit for `refresh.userIds`: short, printable, no template marker. Undefined otherwise. */
function refreshUserId(id: string | undefined): string | undefined {
  if (!id || id.length > 256 || !/^[\x21-\x7e]+$/.test(id) || id.includes('${')) return undefined;
  return id;
}

export function invitationCardAttachment(record: InvitationRecord, options: InvitationCardOptions): Attachment {
  return cardAttachment(renderInvitationCard(record, options));
}

const JOIN_URL_MAX = 2048;

/**
 * The meeting URI as a Join link, or undefined: only an absolute `https:` URL without user info (so
 * `https://meet.contoso.com@evil.example/` is refused) and of sane length. A `sip:` conference URI cannot be opened
 * in a browser, so it is shown as text instead.
 */
export function joinUrlOf(onlineMeetingUri: string | undefined): URL | undefined {
  if (!onlineMeetingUri || onlineMeetingUri.length > JOIN_URL_MAX) return undefined;
  let url: URL;
  try {
    url = new URL(onlineMeetingUri.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || !url.hostname) return undefined;
  if (url.href.length > JOIN_URL_MAX || url.href.includes('${')) return undefined;
  return url;
}

/** Builds the template data; exported for tests and for previews. */
export function invitationCardData(record: InvitationRecord, options: InvitationCardOptions): InvitationCardData {
  const kind = record.kind;
  const state = record.state;
  const pending = state === 'pending';
  const isMeeting = kind === 'onlineMeeting';

  const subject = safeSubject(record.subject);
  const importance = record.importance;
  const marker = importance === 'Emergency' ? 'EMERGENCY' : importance === 'Urgent' ? 'URGENT' : '';

  const fromName = safeName(record.from?.name);
  const fromAddress = safeSipAddress(record.from?.uri);
  const network = networkLabel(record.from?.sourceNetwork);
  const senderDisplay = fromName || fromAddress || 'Unknown sender';
  // Show the address under the name unless it would repeat the only line we have.
  const hasAddress = fromAddress !== '' && fromName !== '';

  const onBehalfName = safeName(record.onBehalfOf?.name);
  const onBehalfAddress = safeSipAddress(record.onBehalfOf?.uri);
  const onBehalfOf =
    onBehalfName && onBehalfAddress
      ? `On behalf of ${onBehalfName} (${onBehalfAddress})`
      : onBehalfName || onBehalfAddress
        ? `On behalf of ${onBehalfName || onBehalfAddress}`
        : '';

  const lines = safeMessageLines(record.message);
  if (lines.length > 0) {
    lines[0] = `\u201C${lines[0]}`;
    lines[lines.length - 1] = `${lines[lines.length - 1]}\u201D`;
  }

  const joinUrl = isMeeting ? joinUrlOf(record.onlineMeetingUri) : undefined;
  const showJoin = joinUrl !== undefined && state !== 'ended' && state !== 'cancelledBySender';
  const conferenceUri = isMeeting && !joinUrl && record.onlineMeetingUri ? safeUri(record.onlineMeetingUri) : '';
  const modalities = isMeeting ? modalitiesInWords(record.availableModalities ?? []) : '';

  const status = statusOf(record, senderDisplay);
  const showAccept = pending && options.canAccept;
  // An accepted IM is a live conversation until the state machine says it ended (conversationEnded).
  const showConversation = kind === 'messaging' && state === 'connected';
  const note = options.notice ? safeText(options.notice, { maxLength: 300 }) : pending && !options.canAccept ? answerElsewhereNote(kind) : '';

  const refreshFor = refreshUserId(options.inviteeTeamsId);
  return {
    refresh: { enabled: refreshFor !== undefined, invitationId: record.id, userIds: refreshFor ? [refreshFor] : [] },
    header: {
      style: importance === 'Emergency' ? 'attention' : importance === 'Urgent' ? 'warning' : 'accent',
      hasImportanceMarker: marker !== '',
      importanceMarker: marker,
      importanceSize: importance === 'Emergency' ? 'large' : 'medium',
      kindLabel: kindLabel(kind),
      hasSubject: subject !== '',
      subject,
      subjectPlaceholder: subjectPlaceholder(kind),
    },
    sender: {
      label: kind === 'onlineMeeting' ? 'Invited by' : kind === 'messaging' ? 'Message from' : 'Call from',
      name: senderDisplay,
      hasAddress,
      address: fromAddress,
      isExternal: network !== undefined,
      networkLabel: network ?? '',
      hasOnBehalfOf: onBehalfOf !== '',
      onBehalfOf,
    },
    message: { hasMessage: lines.length > 0, lines },
    details: {
      receivedAt: safeText(formatDateTime(record.receivedAt, options) ?? 'Unknown', { maxLength: 100 }),
      hasModalities: modalities !== '',
      modalities,
      hasJoinHost: showJoin,
      joinHost: joinUrl ? safeText(joinUrl.host, { maxLength: 253 }) : '',
      hasConferenceUri: conferenceUri !== '',
      conferenceUri,
    },
    status: { ...status, hasStatus: status.title !== '', hasDetail: status.detail !== '' },
    actions: {
      invitationId: record.id,
      showJoin,
      joinTitle: 'Join',
      joinUrl: joinUrl?.href ?? '',
      showAccept,
      acceptTitle: safeActionTitle(options.acceptLabel, 'Accept'),
      showDecline: pending,
      hasNote: note !== '',
      note,
      showConversation,
      replyKey: showConversation ? (options.replyKey ?? newReplyKey()) : '',
      // An input's value is not Markdown: only cleaned (render.ts neutralises template markers in every string).
      draft: showConversation ? cleanText(options.draft, { maxLength: 8000, multiline: true, maxLines: 200 }) : '',
    },
  };
}

function subjectPlaceholder(kind: InvitationKind): string {
  switch (kind) {
    case 'onlineMeeting':
      return 'Meeting without a subject';
    case 'messaging':
      return 'Conversation without a subject';
    default:
      return 'Call without a subject';
  }
}

function answerElsewhereNote(kind: InvitationKind): string {
  switch (kind) {
    case 'onlineMeeting':
      return 'Join this meeting in Skype for Business';
    case 'messaging':
      return 'Reply to this message in Skype for Business';
    default:
      return 'Answer this call in Skype for Business';
  }
}

interface StatusText {
  style: ContainerStyle;
  title: string;
  detail: string;
}

const GENERIC_FAILURE = 'Skype for Business could not complete the request. Try again in Skype for Business.';

/** Human words for UCWA reason subcodes, used only when the server sent no message. */
const SUBCODE_TEXT: Readonly<Record<string, string>> = {
  Timeout: 'Nobody answered in time.',
  Busy: 'The line was busy.',
  DoNotDisturb: 'The other side is set to Do not disturb.',
  Declined: 'The invitation was declined.',
  Canceled: 'The sender cancelled the invitation.',
  Cancelled: 'The sender cancelled the invitation.',
  ConnectedElsewhere: 'It was answered on another device.',
  Denied: 'A presenter denied entry from the lobby.',
  NotAllowed: 'Your organisation does not allow this.',
  ModalityNotSupported: 'This kind of invitation cannot be answered from Teams.',
  TemporarilyUnavailable: 'Skype for Business is temporarily unavailable.',
  Unavailable: 'Skype for Business is not available.',
  ConnectionLost: 'The connection to Skype for Business was lost.',
};

function reasonText(record: InvitationRecord): string {
  // Outcomes the bot decided (a lost connection, a click that came too late) carry its own words.
  const own = OWN_WORDS[statusOfRecord(record).reason];
  if (own) return own;
  const message = safeReason(record.outcomeReason?.message);
  if (message) return message;
  const subcode = record.outcomeReason?.subcode ?? record.outcomeReason?.code;
  return (subcode && SUBCODE_TEXT[subcode]) || '';
}

/** The status section for each state; pending has none (the buttons say what to do). */
export function statusOf(record: InvitationRecord, senderDisplay: string): StatusText {
  const state: InvitationState = record.state;
  const reason = reasonText(record);
  switch (state) {
    case 'pending':
      return { style: 'default', title: '', detail: '' };
    case 'accepting':
      return { style: 'accent', title: 'Accepting\u2026', detail: '' };
    case 'declining':
      return { style: 'default', title: 'Declining\u2026', detail: '' };
    case 'inLobby':
      return { style: 'accent', title: 'Waiting in the lobby \u2014 a presenter will let you in', detail: '' };
    case 'connected':
      return { style: 'good', title: record.kind === 'onlineMeeting' ? 'Joined' : 'Accepted', detail: '' };
    case 'declined':
      return { style: 'default', title: 'Declined', detail: reason };
    case 'cancelledBySender':
      return { style: 'warning', title: `${senderDisplay} cancelled the invitation`, detail: '' };
    case 'missed':
      return { style: 'warning', title: 'Missed \u2014 nobody answered in time', detail: '' };
    case 'answeredElsewhere':
      return { style: 'default', title: 'Answered on another device', detail: '' };
    case 'denied':
      return { style: 'attention', title: 'A presenter denied entry from the lobby', detail: '' };
    case 'failed':
      return { style: 'attention', title: 'Failed', detail: reason || GENERIC_FAILURE };
    case 'ended':
      return { style: 'default', title: 'No longer available', detail: reason };
    case 'conversationEnded':
      return { style: 'default', title: 'Conversation ended', detail: reason };
    default:
      return { style: 'attention', title: 'Unknown state', detail: '' };
  }
}
