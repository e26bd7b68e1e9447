// The messaging modality of a connected conversation, as the pool serves it: the `messaging` resource with its
// sendMessage/stopMessaging/setIsTyping/typingParticipants links, messages both ways as `message` events with
// `plainMessage`/`htmlMessage` data URIs, the remote side's typing as participants added to/removed from
// `typingParticipants`, and the end of messaging from either side. The transcript (with the content type each client
// message was sent with) is kept for the admin API.
import type { Endpoint } from './invitations';
import type { SimEvent, SimReason, SimResource } from './representation';
import { textDataUri } from './representation';

/** Queues one event on the endpoint's application, sent by its conversation. */
export type ConversationEmitter = (ep: Endpoint, event: SimEvent) => void;

export interface TranscriptEntry {
  /** The message's number in the conversation (its href ends with it). */
  seq: number;
  /** `remote`: a participant wrote it (admin API); `client`: the application sent it (sendMessage). */
  by: 'remote' | 'client';
  contentType: string;
  text: string;
  at: string;
  status: 'Success' | 'Failure';
  /** The `operationId` query parameter the client sent, if any. */
  operationId?: string;
}

export type MessagingEnd = 'client' | 'remote';

/** Why a client message failed (admin `fail-messages`); the reference names no pair, this is the simulator's choice. */
const SEND_FAILURE: SimReason = { code: 'RemoteFailure', subcode: 'Unreachable', message: 'The message could not be delivered.' };

class MessagingSession {
  state: 'Connected' | 'Disconnected' = 'Connected';
  endedBy?: MessagingEnd;
  remoteTyping = false;
  failNextSends = 0;
  readonly transcript: TranscriptEntry[] = [];
  /** messages/1 is the invitation's first message (sent by the invitation sequence itself). */
  private counter = 1;

  constructor(readonly ep: Endpoint) {}

  nextSeq(): number {
    return ++this.counter;
  }
}

export type SendResult = { status: 201; location: string } | { status: 400 | 409 | 415; reason: SimReason };

export class MessagingService {
  private readonly sessions = new Map<Endpoint, MessagingSession>();

  constructor(
    private readonly emit: ConversationEmitter,
    private readonly participantHref: (ep: Endpoint, uri: string) => string,
  ) {}

  /** The conversation was connected: messaging starts. Returns the messaging resource for its `updated` event. */
  open(ep: Endpoint): SimResource {
    const session = new MessagingSession(ep);
    const first = ep.invitation.spec.message;
    if (first !== undefined) session.transcript.push({ seq: 1, by: 'remote', contentType: 'text/plain', text: first, at: ep.invitation.createdAt.toISOString(), status: 'Success' });
    this.sessions.set(ep, session);
    return this.resource(ep);
  }

  has(ep: Endpoint): boolean {
    return this.sessions.has(ep);
  }

  isConnected(ep: Endpoint): boolean {
    return this.sessions.get(ep)?.state === 'Connected';
  }

  messagingHref(ep: Endpoint): string {
    return `${ep.conversationHref}/messaging`;
  }

  resource(ep: Endpoint): SimResource {
    const session = this.sessions.get(ep);
    const href = this.messagingHref(ep);
    const connected = session?.state === 'Connected';
    return {
      rel: 'messaging',
      href,
      props: { state: connected ? 'Connected' : 'Disconnected', negotiatedMessageFormats: connected ? ['Plain', 'Html'] : undefined },
      links: connected
        ? {
            conversation: { href: ep.conversationHref },
            sendMessage: { href: `${href}/messages` },
            stopMessaging: { href: `${href}/terminate` },
            setIsTyping: { href: `${href}/typing` },
            typingParticipants: { href: `${href}/typingParticipants` },
          }
        : { conversation: { href: ep.conversationHref }, addMessaging: { href: `${href}/addMessaging` } },
    };
  }

  typingParticipants(ep: Endpoint): SimResource {
    const session = this.sessions.get(ep);
    const from = ep.invitation.spec.from;
    return {
      rel: 'typingParticipants',
      href: `${this.messagingHref(ep)}/typingParticipants`,
      links: { participant: session?.remoteTyping ? [{ href: this.participantHref(ep, from.uri), title: from.name }] : [] },
    };
  }

  transcript(ep: Endpoint): TranscriptEntry[] {
    return [...(this.sessions.get(ep)?.transcript ?? [])];
  }

  endedBy(ep: Endpoint): MessagingEnd | undefined {
    return this.sessions.get(ep)?.endedBy;
  }

  // ------------------------------------------------------------------------------------------- the client's side

  /**
   * sendMessage: the body is the message itself, `text/plain` or `text/html` (charset UTF-8 unless named). 201 with
   * the message's Location; the outcome follows as `message` started, then completed Success or Failure.
   */
  clientSend(ep: Endpoint, contentType: string | undefined, body: string, operationId: string | undefined): SendResult {
    const session = this.sessions.get(ep);
    if (!session || session.state !== 'Connected') return { status: 409, reason: { code: 'Conflict', subcode: 'ModalityNotConnected', message: 'Messaging is not connected in this conversation.' } };
    const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (mime !== 'text/plain' && mime !== 'text/html') return { status: 415, reason: { code: 'UnsupportedMediaType', message: 'A message is sent as text/plain or text/html.' } };
    if (body === '') return { status: 400, reason: { code: 'BadRequest', subcode: 'ParameterValidationFailure', message: 'The message is empty.' } };
    const seq = session.nextSeq();
    const failed = session.failNextSends > 0;
    if (failed) session.failNextSends--;
    session.transcript.push({ seq, by: 'client', contentType: contentType ?? '', text: body, at: new Date().toISOString(), status: failed ? 'Failure' : 'Success', operationId });
    const href = `${this.messagingHref(ep)}/messages/${seq}`;
    const message = this.messageResource(ep, href, 'Outgoing', undefined, operationId);
    this.emit(ep, { type: 'started', link: { rel: 'message', href }, embedded: message });
    this.emit(ep, failed ? { type: 'completed', link: { rel: 'message', href }, status: 'Failure', reason: SEND_FAILURE, embedded: message } : { type: 'completed', link: { rel: 'message', href }, status: 'Success', embedded: message });
    return { status: 201, location: href };
  }

  /** stopMessaging: the application leaves; false when messaging is not connected. */
  clientStop(ep: Endpoint): boolean {
    return this.end(ep, 'client');
  }

  /** setIsTyping is accepted and not shown to anyone (the simulated remote side has no screen). */
  clientTyping(ep: Endpoint): boolean {
    return this.isConnected(ep);
  }

  // ------------------------------------------------------------------------------------------- the remote side

  /** A participant writes: a `message` completed Success (Incoming) with the text as a data URI. */
  remoteSend(ep: Endpoint, text: string, format: 'plain' | 'html', encoding: 'url' | 'base64'): boolean {
    const session = this.sessions.get(ep);
    if (!session || session.state !== 'Connected') return false;
    if (session.remoteTyping) this.remoteTyping(ep, false);
    const seq = session.nextSeq();
    const contentType = format === 'html' ? 'text/html' : 'text/plain';
    session.transcript.push({ seq, by: 'remote', contentType, text, at: new Date().toISOString(), status: 'Success' });
    const href = `${this.messagingHref(ep)}/messages/${seq}`;
    const body = { rel: format === 'html' ? 'htmlMessage' : 'plainMessage', uri: textDataUri(format === 'html' ? text : `${text}\r\n`, encoding, contentType) };
    this.emit(ep, { type: 'completed', link: { rel: 'message', href }, status: 'Success', embedded: this.messageResource(ep, href, 'Incoming', body) });
    return true;
  }

  /** The remote participant starts or stops typing: added to / removed from `typingParticipants`. */
  remoteTyping(ep: Endpoint, typing: boolean): boolean {
    const session = this.sessions.get(ep);
    if (!session || session.state !== 'Connected' || session.remoteTyping === typing) return false;
    session.remoteTyping = typing;
    const from = ep.invitation.spec.from;
    this.emit(ep, {
      type: typing ? 'added' : 'deleted',
      link: { rel: 'participant', href: this.participantHref(ep, from.uri), title: from.name },
      in: { rel: 'typingParticipants', href: `${this.messagingHref(ep)}/typingParticipants` },
    });
    return true;
  }

  /** The remote participant leaves: the participant is removed and messaging disconnects. */
  remoteLeave(ep: Endpoint): boolean {
    const session = this.sessions.get(ep);
    if (!session || session.state !== 'Connected') return false;
    if (session.remoteTyping) this.remoteTyping(ep, false);
    const from = ep.invitation.spec.from;
    this.emit(ep, { type: 'deleted', link: { rel: 'participant', href: this.participantHref(ep, from.uri), title: from.name } });
    return this.end(ep, 'remote');
  }

  failNextSends(ep: Endpoint, count: number): boolean {
    const session = this.sessions.get(ep);
    if (!session || session.state !== 'Connected') return false;
    session.failNextSends = count;
    return true;
  }

  /** Marks messaging ended (the caller emits the conversation's own end). */
  private end(ep: Endpoint, by: MessagingEnd): boolean {
    const session = this.sessions.get(ep);
    if (!session || session.state !== 'Connected') return false;
    session.state = 'Disconnected';
    session.endedBy = by;
    session.remoteTyping = false;
    const reason: SimReason = by === 'client' ? { code: 'Informational', subcode: 'Ended', message: 'You left the conversation.' } : { code: 'RemoteFailure', subcode: 'Ended', message: 'The other participant left the conversation.' };
    this.emit(ep, { type: 'updated', link: { rel: 'messaging', href: this.messagingHref(ep) }, reason, embedded: this.resource(ep) });
    return true;
  }

  private messageResource(ep: Endpoint, href: string, direction: 'Incoming' | 'Outgoing', body?: { rel: string; uri: string }, operationId?: string): SimResource {
    const from = ep.invitation.spec.from;
    const author = direction === 'Incoming' ? { uri: from.uri, name: from.name } : { uri: ep.app.user.sip, name: ep.app.user.displayName };
    const links: SimResource['links'] = {
      participant: { href: this.participantHref(ep, author.uri), title: author.name },
      messaging: { href: this.messagingHref(ep) },
    };
    if (body) links[body.rel] = { href: body.uri };
    return { rel: 'message', href, props: { direction, timeStamp: new Date(), operationId }, links };
  }
}
