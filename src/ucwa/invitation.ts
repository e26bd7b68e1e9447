// The typed invitation model: what an incoming invitation event says, the actions it offers, and how its ending
// maps to one closed set of outcomes.
import { firstMessageText } from './data-uri';
import type { UcwaEvent, UcwaReason, UcwaResource } from './resource';

export type InvitationKind = 'onlineMeeting' | 'messaging' | 'audioVideo';
export type Importance = 'Normal' | 'Urgent' | 'Emergency';

export const INVITATION_RELS: Record<string, InvitationKind> = {
  onlineMeetingInvitation: 'onlineMeeting',
  messagingInvitation: 'messaging',
  audioVideoInvitation: 'audioVideo',
};

export interface Party {
  name?: string;
  uri?: string;
  sourceNetwork?: string;
}

/** UCWA hrefs of the actions the invitation offered in its `started` event (later events omit them). */
export interface InvitationActions {
  accept?: string;
  decline?: string;
  acceptWithPhoneAudio?: string;
}

export interface Invitation {
  /** The invitation resource's href (absolute): unique per application. */
  href: string;
  kind: InvitationKind;
  direction: 'Incoming' | 'Outgoing' | string;
  importance: Importance;
  /** UCWA invitation state (Connecting, Connected, Failed, ...). */
  state?: string;
  subject?: string;
  threadId?: string;
  from: Party;
  onBehalfOf?: Party;
  to?: string;
  /** The first message, decoded to plain text. */
  message?: string;
  onlineMeetingUri?: string;
  availableModalities: string[];
  conversationHref?: string;
  actions: InvitationActions;
  receivedAt: Date;
}

export type OutcomeKind = 'connected' | 'inLobby' | 'declined' | 'cancelledBySender' | 'missed' | 'answeredElsewhere' | 'denied' | 'failed';

export interface Outcome {
  kind: OutcomeKind;
  reason?: UcwaReason;
}

/** Maps a `completed` event to an outcome. Subcodes not known here are `failed` with the reason kept. */
export function outcomeOfCompletion(status: string | undefined, reason: UcwaReason | undefined): Outcome {
  if (status === 'Success') return { kind: 'connected' };
  const sub = (reason?.subcode ?? '').toLowerCase();
  const kinds: Record<string, OutcomeKind> = {
    declined: 'declined',
    canceled: 'cancelledBySender',
    cancelled: 'cancelledBySender',
    missed: 'missed',
    timeout: 'missed',
    noanswer: 'missed',
    connectedelsewhere: 'answeredElsewhere',
    repliedwithothermodality: 'answeredElsewhere',
    autoaccepted: 'answeredElsewhere',
    denied: 'denied',
  };
  return { kind: kinds[sub] ?? 'failed', reason };
}

function importanceOf(value: string | undefined): Importance {
  return value === 'Urgent' || value === 'Emergency' ? value : 'Normal';
}

/** Reads an invitation resource (embedded in an event, or fetched). `base` resolves relative hrefs. */
export function readInvitation(resource: UcwaResource, kind: InvitationKind, base: URL, receivedAt: Date): Invitation {
  const abs = (href: string | undefined) => (href === undefined ? undefined : new URL(href, base).toString());
  const fromResource = resource.embeddedOne('from') ?? resource.embeddedOne('participant');
  const fromLink = resource.link('from');
  const from: Party = {
    name: fromResource?.string('name') ?? fromLink?.title,
    uri: fromResource?.string('uri'),
    sourceNetwork: fromResource?.string('sourceNetwork'),
  };
  const behalf = resource.link('onBehalfOf');
  const behalfResource = resource.embeddedOne('onBehalfOf');
  const messageHref = resource.linkHref('message');
  return {
    href: abs(resource.href ?? resource.linkHref('self')) ?? '',
    kind,
    direction: resource.string('direction') ?? 'Incoming',
    importance: importanceOf(resource.string('importance')),
    state: resource.string('state'),
    subject: resource.string('subject'),
    threadId: resource.string('threadId'),
    from,
    onBehalfOf: behalf || behalfResource ? { name: behalfResource?.string('name') ?? behalf?.title, uri: behalfResource?.string('uri') ?? uriFromPeopleHref(behalf?.href) } : undefined,
    to: resource.string('to'),
    message: messageHref ? firstMessageText(messageHref) : undefined,
    onlineMeetingUri: resource.string('onlineMeetingUri'),
    availableModalities: resource.stringArray('availableModalities') ?? [],
    conversationHref: abs(resource.linkHref('conversation')),
    actions: offeredActions(resource, base),
    receivedAt,
  };
}

/** The action links an invitation resource offers (absolute); the pool offers them only while the invitation rings. */
export function offeredActions(resource: UcwaResource, base: URL): InvitationActions {
  const abs = (href: string | undefined) => (href === undefined ? undefined : new URL(href, base).toString());
  return {
    accept: abs(resource.linkHref('accept')),
    decline: abs(resource.linkHref('decline')),
    acceptWithPhoneAudio: abs(resource.linkHref('acceptWithPhoneAudio')),
  };
}

/** `.../people/bob%40contoso.com` -> `sip:bob@contoso.com` (the contact link is all some servers give). */
function uriFromPeopleHref(href: string | undefined): string | undefined {
  const m = href ? /\/people\/([^/?#]+)$/.exec(href) : null;
  if (!m) return undefined;
  try {
    const id = decodeURIComponent(m[1]);
    return id.includes('@') ? `sip:${id.replace(/^sip:/, '')}` : undefined;
  } catch {
    return undefined;
  }
}

/** What the event channel told us about one invitation. */
export interface InvitationUpdate {
  event: 'started' | 'updated' | 'completed' | 'lobby';
  invitation: Invitation;
  /** Set on `completed` (connected or a failure) and on `lobby` (inLobby). */
  outcome?: Outcome;
  /** False when the event carried only a link: the invitation fields are defaults, not facts. */
  complete: boolean;
}

/**
 * Turns one event batch into invitation updates, in order. Lobby waits show up as conversation or local
 * participant changes, so the conversation-to-invitation map from earlier batches is passed in and kept up to date.
 */
export class InvitationEventReader {
  private readonly byConversation = new Map<string, Invitation>();
  /** Conversations known only from the store (a restarted watcher): their invitations carry no fresh facts. */
  private readonly fromStore = new Set<string>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  read(events: Array<{ senderHref?: string; event: UcwaEvent }>, base: URL): InvitationUpdate[] {
    const out: InvitationUpdate[] = [];
    for (const { senderHref, event } of events) {
      const kind = INVITATION_RELS[event.link.rel];
      if (kind) {
        const update = this.invitationEvent(kind, event, base);
        if (update) out.push(update);
        continue;
      }
      const lobby = this.lobbyEvent(senderHref, event, base);
      if (lobby) out.push(lobby);
    }
    return out;
  }

  forget(conversationHref: string | undefined): void {
    if (!conversationHref) return;
    this.byConversation.delete(conversationHref);
    this.fromStore.delete(conversationHref);
  }

  reset(): void {
    this.byConversation.clear();
    this.fromStore.clear();
  }

  /** Forgets every conversation that is not in `active` (after a resume: the server closed the others). */
  retainOnly(active: ReadonlySet<string>): void {
    for (const href of [...this.byConversation.keys()]) if (!active.has(href)) this.forget(href);
  }

  /**
   * Re-learns, after a restart, which invitation a conversation belongs to (from the stored record). Its lobby
   * updates then carry only the link and the state, so the stored facts stand.
   */
  remember(conversationHref: string, invitationHref: string, kind: InvitationKind): void {
    if (this.byConversation.has(conversationHref)) return;
    this.byConversation.set(conversationHref, { href: invitationHref, kind, direction: 'Incoming', importance: 'Normal', from: {}, availableModalities: [], actions: {}, receivedAt: this.now() });
    this.fromStore.add(conversationHref);
  }

  private invitationEvent(kind: InvitationKind, event: UcwaEvent, base: URL): InvitationUpdate | undefined {
    if (event.type !== 'started' && event.type !== 'updated' && event.type !== 'completed') return undefined;
    const resource = event.embedded;
    const href = new URL(event.link.href, base).toString();
    let invitation: Invitation;
    if (resource) {
      invitation = readInvitation(resource, kind, base, this.now());
      if (!invitation.href) invitation.href = href;
    } else {
      // A link-only event: keep what we know; the record store merges it with the started event.
      invitation = { href, kind, direction: 'Incoming', importance: 'Normal', from: {}, availableModalities: [], actions: {}, receivedAt: this.now() };
    }
    if (invitation.direction !== 'Incoming') return undefined;
    if (invitation.conversationHref) {
      this.byConversation.set(invitation.conversationHref, invitation);
      if (resource) this.fromStore.delete(invitation.conversationHref);
    }
    if (event.type === 'completed') {
      this.forget(invitation.conversationHref);
      return { event: 'completed', invitation, outcome: outcomeOfCompletion(event.status, event.reason), complete: resource !== undefined };
    }
    return { event: event.type as 'started' | 'updated', invitation, complete: resource !== undefined };
  }

  private lobbyEvent(senderHref: string | undefined, event: UcwaEvent, base: URL): InvitationUpdate | undefined {
    if (event.type !== 'updated') return undefined;
    const res = event.embedded;
    let conversationHref: string | undefined;
    let inLobby = false;
    if (event.link.rel === 'conversation' && res) {
      conversationHref = new URL(event.link.href, base).toString();
      inLobby = res.string('state') === 'InLobby';
    } else if (event.link.rel === 'localParticipant' && res && senderHref) {
      conversationHref = new URL(senderHref, base).toString();
      inLobby = res.boolean('inLobby') === true;
    }
    if (!inLobby || !conversationHref) return undefined;
    const invitation = this.byConversation.get(conversationHref);
    return invitation ? { event: 'lobby', invitation, outcome: { kind: 'inLobby' }, complete: !this.fromStore.has(conversationHref) } : undefined;
  }
}
