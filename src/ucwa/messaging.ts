// The messaging modality of a connected conversation, on the client side: reading what the event channel says about
// it (messages both ways with their outcome, the modality's state and links, remote typing, participants leaving,
// the conversation ending) and the two calls the product makes on it: sendMessage and stopMessaging.
// Message bodies are data URIs (plainMessage / htmlMessage); they are decoded here, charset and HTML included, and
// never trusted further than as text.
import { firstMessageText } from './data-uri';
import type { UcwaEvent, UcwaReason, UcwaResource } from './resource';
import type { UcwaSession } from './session';

export interface MessageAuthor {
  name?: string;
  /** The participant href (it names the participant, not a SIP URI). */
  participantHref?: string;
}

/** A `message` the event channel reported: an incoming message, or the outcome of one the application sent. */
export interface MessageEvent {
  kind: 'message';
  /** Absolute href of the message resource (stable across re-deliveries). */
  href: string;
  conversationHref: string;
  direction: 'Incoming' | 'Outgoing';
  /** `completed` events carry Success or Failure; `started` none. */
  type: 'started' | 'completed';
  status?: 'Success' | 'Failure';
  reason?: UcwaReason;
  /** The message as plain text (HTML reduced to text, trailing CR/LF removed); undefined when no body link came. */
  text?: string;
  /** The body came as `htmlMessage`. */
  html: boolean;
  author: MessageAuthor;
  /** The operationId the application sent the message with (correlates an outcome with its send). */
  operationId?: string;
  timeStamp?: Date;
}

/** The messaging modality changed: connected (with the links to use) or disconnected. */
export interface MessagingStateEvent {
  kind: 'messagingState';
  conversationHref: string;
  state: 'Connected' | 'Disconnected' | (string & {});
  sendMessageHref?: string;
  stopMessagingHref?: string;
  reason?: UcwaReason;
}

/** A remote participant started or stopped typing. */
export interface TypingEvent {
  kind: 'typing';
  conversationHref: string;
  typing: boolean;
  author: MessageAuthor;
}

/** A participant left the conversation (not only the typing list). */
export interface ParticipantLeftEvent {
  kind: 'participantLeft';
  conversationHref: string;
  author: MessageAuthor;
}

/** The conversation was removed (it ended for this application). */
export interface ConversationEndedEvent {
  kind: 'conversationEnded';
  conversationHref: string;
}

export type ConversationEvent = MessageEvent | MessagingStateEvent | TypingEvent | ParticipantLeftEvent | ConversationEndedEvent;

/**
 * The conversation events of one batch, in order. `senderHref` is the event's sender (the conversation, for
 * everything but the conversation's own removal, which the `communication` sender reports).
 */
export function readConversationEvents(events: ReadonlyArray<{ senderHref?: string; senderRel?: string; event: UcwaEvent }>, base: URL): ConversationEvent[] {
  const out: ConversationEvent[] = [];
  const abs = (href: string | undefined) => (href === undefined ? undefined : new URL(href, base).toString());
  for (const { senderHref, senderRel, event } of events) {
    const rel = event.link.rel;
    if (rel === 'conversation' && event.type === 'deleted') {
      out.push({ kind: 'conversationEnded', conversationHref: abs(event.link.href)! });
      continue;
    }
    if (senderRel !== undefined && senderRel !== 'conversation') continue;
    const conversationHref = abs(senderHref);
    if (!conversationHref) continue;
    if (rel === 'message' && (event.type === 'started' || event.type === 'completed')) {
      const message = readMessage(event, conversationHref, base);
      if (message) out.push(message);
    } else if (rel === 'messaging' && event.embedded) {
      const res = event.embedded;
      out.push({
        kind: 'messagingState',
        conversationHref,
        state: res.string('state') ?? 'Unknown',
        sendMessageHref: abs(res.linkHref('sendMessage')),
        stopMessagingHref: abs(res.linkHref('stopMessaging')),
        reason: event.reason,
      });
    } else if (rel === 'participant' && event.in?.rel === 'typingParticipants' && (event.type === 'added' || event.type === 'deleted')) {
      out.push({ kind: 'typing', conversationHref, typing: event.type === 'added', author: { name: event.link.title, participantHref: abs(event.link.href) } });
    } else if (rel === 'participant' && event.type === 'deleted' && !event.in) {
      out.push({ kind: 'participantLeft', conversationHref, author: { name: event.link.title, participantHref: abs(event.link.href) } });
    }
  }
  return out;
}

function readMessage(event: UcwaEvent, conversationHref: string, base: URL): MessageEvent | undefined {
  const res: UcwaResource | undefined = event.embedded;
  const href = new URL(event.link.href, base).toString();
  const direction = res?.string('direction');
  if (direction !== 'Incoming' && direction !== 'Outgoing') return undefined;
  const htmlHref = res?.linkHref('htmlMessage');
  const plainHref = res?.linkHref('plainMessage');
  // Prefer the plain form when both came: it needs no markup removed.
  const body = plainHref ?? htmlHref;
  const participant = res?.link('participant');
  const status: MessageEvent['status'] = event.status === 'Success' ? 'Success' : event.status === 'Failure' ? 'Failure' : undefined;
  return {
    kind: 'message',
    href,
    conversationHref,
    direction,
    type: event.type as 'started' | 'completed',
    status,
    reason: event.reason,
    text: body ? firstMessageText(body) : undefined,
    html: plainHref === undefined && htmlHref !== undefined,
    author: { name: participant?.title, participantHref: participant ? new URL(participant.href, base).toString() : undefined },
    operationId: res?.string('operationId'),
    timeStamp: res?.date('timeStamp'),
  };
}

/** Longest message the product sends; longer text is refused before any request (UCWA names no limit). */
export const MAX_OUTGOING_MESSAGE_CHARS = 8_000;

export class MessagingClient {
  constructor(private readonly session: UcwaSession) {}

  /**
   * POSTs `text` as a text/plain message on the conversation's sendMessage link. The pool answers 201 at once; the
   * outcome follows as a `message` completed Success/Failure event carrying `operationId`. Returns the message href
   * (Location), when the pool gave one. Throws UcwaHttpError on refusal.
   */
  async send(sendMessageHref: string, text: string, operationId: string, signal?: AbortSignal): Promise<{ messageHref?: string }> {
    if (text.length === 0 || text.length > MAX_OUTGOING_MESSAGE_CHARS) throw new RangeError(`a message must be 1 to ${MAX_OUTGOING_MESSAGE_CHARS} characters`);
    const url = new URL(sendMessageHref);
    url.searchParams.set('operationId', operationId);
    const res = await this.session.post(url.toString(), { body: text, contentType: 'text/plain; charset=utf-8', signal });
    const location = res.headers.location;
    const href = Array.isArray(location) ? location[0] : location;
    return { messageHref: href ? new URL(href, res.url).toString() : undefined };
  }

  /** stopMessaging: this application leaves the conversation's messaging. Throws UcwaHttpError on refusal. */
  async stop(stopMessagingHref: string, signal?: AbortSignal): Promise<void> {
    await this.session.post(stopMessagingHref, { signal });
  }
}
