// Incoming invitations and their full event sequences on every endpoint (application) of the invitee that made
// itself available for the modality: started -> updated -> completed, accept/decline, lobby, cancel, missed,
// answered elsewhere, and late or repeated actions.
import { randomUUID } from 'node:crypto';
import { SimClock, SimTimer } from './clock';
import type { ApplicationRegistry, SimApplication } from './applications';
import { MessagingEnd, MessagingService } from './messaging';
import type { SimulatorOptions } from './options';
import { SimEvent, SimReason, SimResource, textDataUri } from './representation';
import type { SimUser, UserDirectory } from './users';

export type InvitationKind = 'onlineMeeting' | 'messaging' | 'audioVideo';
export const INVITATION_KINDS: InvitationKind[] = ['onlineMeeting', 'messaging', 'audioVideo'];
export type Importance = 'Normal' | 'Urgent' | 'Emergency';
export type SourceNetwork = 'SameEnterprise' | 'Federated' | 'PublicCloud' | 'Everyone' | 'Unknown';

export type EndpointState =
  | 'ringing'
  | 'inLobby'
  | 'connected'
  | 'declined'
  | 'cancelled'
  | 'missed'
  | 'answeredElsewhere'
  | 'denied'
  | 'failed'
  /** Was connected; the conversation ended (either side stopped messaging). */
  | 'ended'
  | 'gone';

export type InvitationState = EndpointState | 'undelivered';

export interface InvitationSpec {
  to: string;
  kind: InvitationKind;
  from: { name: string; uri: string; sourceNetwork: SourceNetwork };
  onBehalfOf?: { name: string; uri: string };
  subject: string;
  importance: Importance;
  message?: string;
  messageEncoding: 'url' | 'base64';
  onlineMeetingUri?: string;
  availableModalities: string[];
  lobby: boolean;
  /** A leader admits whoever waits in the lobby after this many seconds (the demo); unset = only the admin API admits. */
  admitAfterSeconds?: number;
  answerWindowSeconds: number;
}

interface ActionRecord {
  action: 'accept' | 'decline' | 'acceptWithPhoneAudio' | 'acceptWithAnswer';
  applicationId: string;
  at: string;
  status: number;
  reason?: string;
}

class Endpoint {
  state: EndpointState = 'ringing';
  finalReason?: SimReason;
  readonly href: string;
  readonly conversationHref: string;
  readonly conversationId = randomUUID();

  constructor(readonly invitation: SimInvitation, readonly app: SimApplication) {
    const collection = { messaging: 'messagingInvitations', audioVideo: 'audioVideoInvitations', onlineMeeting: 'onlineMeetingInvitations' }[invitation.spec.kind];
    this.href = `${app.communicationHref}/${collection}/${invitation.id}`;
    this.conversationHref = `${app.communicationHref}/conversations/${this.conversationId}`;
  }

  get isOpen(): boolean {
    return this.state === 'ringing' || this.state === 'inLobby' || this.state === 'connected';
  }
}

export class SimInvitation {
  readonly endpoints: Endpoint[] = [];
  readonly actions: ActionRecord[] = [];
  readonly threadId = randomUUID().replace(/-/g, '').slice(0, 22);
  readonly createdAt = new Date();
  clientAction?: ActionRecord['action'];
  declineReason?: string;
  answerTimer?: SimTimer;

  constructor(readonly id: string, readonly spec: InvitationSpec, readonly invitee: SimUser) {}

  get state(): InvitationState {
    if (this.endpoints.length === 0) return 'undelivered';
    const states = this.endpoints.map((e) => e.state);
    for (const s of ['connected', 'inLobby', 'ringing', 'ended', 'failed', 'denied', 'declined', 'answeredElsewhere', 'cancelled', 'missed'] as const) {
      if (states.includes(s)) return s;
    }
    return 'gone';
  }

  summary(): Record<string, unknown> {
    return {
      id: this.id,
      to: this.invitee.upn,
      kind: this.spec.kind,
      subject: this.spec.subject,
      importance: this.spec.importance,
      from: this.spec.from,
      onBehalfOf: this.spec.onBehalfOf,
      lobby: this.spec.lobby,
      threadId: this.threadId,
      state: this.state,
      clientAction: this.clientAction ?? null,
      declineReason: this.declineReason,
      actions: this.actions,
      endpoints: this.endpoints.map((e) => ({ applicationId: e.app.id, href: e.href, state: e.state, reason: e.finalReason })),
    };
  }
}

const FAILURES: Record<'declined' | 'cancelled' | 'missed' | 'answeredElsewhere' | 'denied' | 'failed' | 'gone', SimReason> = {
  // Subcodes come from the ErrorSubcode enum; which code/subcode pair a real pool sends for each case is unconfirmed.
  declined: { code: 'LocalFailure', subcode: 'Declined', message: 'The invitation was declined.' },
  cancelled: { code: 'RemoteFailure', subcode: 'Canceled', message: 'The caller cancelled the invitation.' },
  missed: { code: 'RemoteFailure', subcode: 'Missed', message: 'The invitation was not answered in time.' },
  answeredElsewhere: { code: 'Informational', subcode: 'ConnectedElsewhere', message: 'The invitation was answered on another endpoint.' },
  denied: { code: 'RemoteFailure', subcode: 'Denied', message: 'A leader denied entry from the lobby.' },
  failed: { code: 'ServiceFailure', subcode: 'MediaFailure', message: 'The conversation could not be set up.' },
  gone: { code: 'LocalFailure', subcode: 'Ended', message: 'The invitation is no longer available.' },
};

/** Why an endpoint ended in a server state reset (never sent in an event: only the admin view shows it). */
const RESET: SimReason = { code: 'LocalFailure', subcode: 'Ended', message: 'The server reset its state (resume): the conversation was closed.' };

export type ActionResult = { status: 204 } | { status: 404 | 409; reason: SimReason };

export class InvitationService {
  private readonly invitations = new Map<string, SimInvitation>();
  private readonly byHref = new Map<string, Endpoint>();
  private counter = 0;
  /** The messaging modality of connected conversations (messages, typing, leaving). */
  readonly messaging = new MessagingService(
    (ep, event) => this.emit(ep.app, 'conversation', event, ep.conversationHref),
    (ep, uri) => this.participantHref(ep, uri),
  );

  constructor(
    private readonly users: UserDirectory,
    private readonly apps: ApplicationRegistry,
    private readonly clock: SimClock,
    private readonly options: SimulatorOptions,
  ) {}

  get(id: string): SimInvitation | undefined {
    return this.invitations.get(id);
  }

  create(spec: InvitationSpec): SimInvitation {
    const invitee = this.users.find(spec.to);
    if (!invitee) throw new Error(`no such user: ${spec.to}`);
    const inv = new SimInvitation(`inv-${++this.counter}-${randomUUID().slice(0, 8)}`, spec, invitee);
    this.invitations.set(inv.id, inv);
    for (const app of this.apps.forUser(invitee.upn)) {
      if (!app.receives(spec.kind, spec.availableModalities)) continue;
      const ep = new Endpoint(inv, app);
      inv.endpoints.push(ep);
      this.byHref.set(ep.href, ep);
      this.deliverStarted(ep);
    }
    if (inv.endpoints.length > 0) {
      this.clock.after(this.options.invitationUpdateDelaySeconds, () => {
        for (const ep of inv.endpoints) if (ep.state === 'ringing') this.deliverUpdated(ep);
      });
      inv.answerTimer = this.clock.after(spec.answerWindowSeconds, () => this.endRinging(inv, 'missed'));
    }
    return inv;
  }

  /** The endpoint view of an invitation addressed by its href (accept/decline/GET routes). */
  endpointAt(href: string): Endpoint | undefined {
    return this.byHref.get(href);
  }

  /** The endpoint whose conversation has this id, on this application. */
  endpointByConversation(app: SimApplication, conversationId: string): Endpoint | undefined {
    for (const ep of this.byHref.values()) if (ep.app === app && ep.conversationId === conversationId) return ep;
    return undefined;
  }

  /** The endpoints of an invitation whose conversation is connected (where its messages go). */
  connectedEndpoints(inv: SimInvitation): Endpoint[] {
    return inv.endpoints.filter((e) => e.state === 'connected');
  }

  /**
   * Messaging ended from one side (stopMessaging by the application, or the remote participant left): a two-party
   * IM conversation has nothing left, so it is disconnected and removed. False when messaging was not connected.
   */
  endMessaging(ep: Endpoint, by: MessagingEnd): boolean {
    const ended = by === 'client' ? this.messaging.clientStop(ep) : this.messaging.remoteLeave(ep);
    if (!ended || ep.invitation.spec.kind !== 'messaging') return ended;
    ep.state = 'ended';
    ep.finalReason = by === 'client' ? { code: 'Informational', subcode: 'Ended', message: 'You left the conversation.' } : { code: 'RemoteFailure', subcode: 'Ended', message: 'The other participant left the conversation.' };
    this.emit(ep.app, 'communication', { type: 'updated', link: { rel: 'conversation', href: ep.conversationHref }, embedded: this.conversationResource(ep, 'Disconnected') });
    this.emit(ep.app, 'communication', { type: 'deleted', link: { rel: 'conversation', href: ep.conversationHref } });
    return true;
  }

  activeConversations(app: SimApplication): SimResource[] {
    const out: SimResource[] = [];
    for (const ep of this.byHref.values()) if (ep.app === app && ep.isOpen) out.push(this.conversationResource(ep));
    return out;
  }

  // ------------------------------------------------------------------------------------------------ client actions

  act(ep: Endpoint, action: ActionRecord['action'], declineReason?: string): ActionResult {
    const inv = ep.invitation;
    const kind = inv.spec.kind;
    const allowed = action === 'decline' || (kind === 'audioVideo' ? action === 'acceptWithPhoneAudio' || action === 'acceptWithAnswer' : action === 'accept');
    const record = (status: number, reason?: SimReason) =>
      inv.actions.push({ action, applicationId: ep.app.id, at: new Date().toISOString(), status, reason: reason?.subcode ?? reason?.code });
    if (!allowed) {
      const reason = { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' };
      record(404, reason);
      return { status: 404, reason };
    }
    if (action === 'acceptWithPhoneAudio' && !(ep.app.modalities.includes('PhoneAudio') && ep.app.phoneNumber)) {
      // The pool rings the number given in makeMeAvailable: without PhoneAudio and a number there is nothing to ring.
      // The reference names no error for this; 409 Conflict (listed on the accept operations) is the closest.
      const reason = { code: 'Conflict', message: 'Phone audio is not available: makeMeAvailable must register PhoneAudio with a phoneNumber.' };
      record(409, reason);
      return { status: 409, reason };
    }
    if (ep.state !== 'ringing') return this.lateAction(ep, action, record);
    record(204);
    inv.clientAction = action;
    if (action === 'decline') {
      inv.declineReason = declineReason ?? 'Local';
      // Global declines on every endpoint of the user; Local only here (others keep ringing).
      const targets = inv.declineReason === 'Global' ? inv.endpoints.filter((e) => e.state === 'ringing') : [ep];
      for (const t of targets) this.complete(t, 'declined');
      this.stopAnswerTimerIfDone(inv);
      return { status: 204 };
    }
    inv.answerTimer?.cancel();
    for (const other of inv.endpoints) if (other !== ep && other.state === 'ringing') this.complete(other, 'answeredElsewhere');
    if (kind === 'onlineMeeting' && inv.spec.lobby) this.enterLobby(ep);
    else this.connect(ep);
    return { status: 204 };
  }

  private lateAction(ep: Endpoint, action: string, record: (s: number, r?: SimReason) => void): ActionResult {
    switch (this.options.lateActionBehaviour) {
      case 'conflict': {
        const reason = { code: 'Conflict', message: `The invitation cannot be ${action === 'decline' ? 'declined' : 'accepted'} any more.` };
        record(409, reason);
        return { status: 409, reason };
      }
      case 'acceptedThenFailed': {
        // The POST looks fine; the truth follows in the event channel.
        record(204);
        // An invitation already accepted (connected, or waiting in the lobby) goes on: a repeated action changes
        // nothing and must not fail it. Only an invitation that already ended tells its ending again.
        if (ep.isOpen) return { status: 204 };
        const reason = ep.finalReason ?? FAILURES.gone;
        this.emit(ep.app, 'communication', { type: 'completed', link: { rel: this.rel(ep), href: ep.href }, status: 'Failure', reason, embedded: this.invitationResource(ep, false, 'Failed') });
        return { status: 204 };
      }
      default: {
        const reason = { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' };
        record(404, reason);
        return { status: 404, reason };
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ admin actions

  cancel(inv: SimInvitation): number {
    const n = this.endRinging(inv, 'cancelled', true);
    return n;
  }

  answerElsewhere(inv: SimInvitation): number {
    return this.endRinging(inv, 'answeredElsewhere');
  }

  /** The pool fails the invitation (media, service trouble) with a reason of the caller's choice. */
  fail(inv: SimInvitation, reason?: SimReason): number {
    const open = inv.endpoints.filter((e) => e.state === 'ringing' || e.state === 'inLobby');
    for (const ep of open) this.complete(ep, 'failed', reason);
    this.stopAnswerTimerIfDone(inv);
    return open.length;
  }

  admit(inv: SimInvitation): number {
    const inLobby = inv.endpoints.filter((e) => e.state === 'inLobby');
    for (const ep of inLobby) this.admitEndpoint(ep);
    return inLobby.length;
  }

  private admitEndpoint(ep: Endpoint): void {
    this.emit(ep.app, 'conversation', { type: 'updated', link: { rel: 'localParticipant', href: this.localParticipantHref(ep) }, embedded: this.localParticipant(ep, false) }, ep.conversationHref);
    this.connect(ep);
  }

  deny(inv: SimInvitation): number {
    const inLobby = inv.endpoints.filter((e) => e.state === 'inLobby');
    for (const ep of inLobby) this.complete(ep, 'denied');
    return inLobby.length;
  }

  /**
   * The server reset its state for this application (the reason for a `resume` on its event channel): its
   * conversations are closed and its ringing invitations ended, silently, because the state that would have produced
   * their events is gone. The resources no longer exist (404); the client learns it from `resume` and reconciles
   * against `conversations?filter=active`. Other endpoints of the same invitation (other applications) go on.
   */
  resetApplication(app: SimApplication): number {
    let n = 0;
    const touched = new Set<SimInvitation>();
    for (const [href, ep] of this.byHref) {
      if (ep.app !== app) continue;
      if (ep.isOpen) {
        ep.state = 'gone';
        ep.finalReason = RESET;
        touched.add(ep.invitation);
        n++;
      }
      this.byHref.delete(href);
    }
    for (const inv of touched) this.stopAnswerTimerIfDone(inv);
    return n;
  }

  /** An application died: its endpoints stop (no events can reach them any more). */
  applicationGone(app: SimApplication): void {
    for (const [href, ep] of this.byHref) {
      if (ep.app !== app) continue;
      if (ep.isOpen) {
        ep.state = 'gone';
        ep.finalReason = FAILURES.gone;
      }
      this.byHref.delete(href);
    }
  }

  private endRinging(inv: SimInvitation, outcome: 'cancelled' | 'missed' | 'answeredElsewhere', includeLobby = false): number {
    let n = 0;
    for (const ep of inv.endpoints) {
      if (ep.state === 'ringing' || (includeLobby && ep.state === 'inLobby')) {
        this.complete(ep, outcome);
        n++;
      }
    }
    this.stopAnswerTimerIfDone(inv);
    return n;
  }

  private stopAnswerTimerIfDone(inv: SimInvitation): void {
    if (!inv.endpoints.some((e) => e.state === 'ringing')) inv.answerTimer?.cancel();
  }

  // ---------------------------------------------------------------------------------------------------- sequences

  private deliverStarted(ep: Endpoint): void {
    const app = ep.app;
    this.emit(app, 'communication', { type: 'started', link: { rel: this.rel(ep), href: ep.href }, embedded: this.invitationResource(ep, true, 'Connecting') });
    this.emit(app, 'communication', { type: 'added', link: { rel: 'conversation', href: ep.conversationHref }, embedded: this.conversationResource(ep, 'Incoming') });
    this.emit(app, 'conversation', { type: 'added', link: { rel: 'localParticipant', href: this.localParticipantHref(ep) }, embedded: this.localParticipant(ep, false) }, ep.conversationHref);
  }

  private deliverUpdated(ep: Endpoint): void {
    const from = ep.invitation.spec.from;
    this.emit(ep.app, 'conversation', { type: 'added', link: { rel: 'participant', href: this.participantHref(ep, from.uri), title: from.name } }, ep.conversationHref);
    // From here on the representation no longer carries accept/decline: clients must have cached them.
    this.emit(ep.app, 'communication', { type: 'updated', link: { rel: this.rel(ep), href: ep.href }, embedded: this.invitationResource(ep, false, 'Connecting') });
  }

  private enterLobby(ep: Endpoint): void {
    ep.state = 'inLobby';
    this.emit(ep.app, 'communication', { type: 'updated', link: { rel: 'conversation', href: ep.conversationHref }, embedded: this.conversationResource(ep, 'InLobby') });
    this.emit(ep.app, 'conversation', { type: 'updated', link: { rel: 'localParticipant', href: this.localParticipantHref(ep) }, embedded: this.localParticipant(ep, true) }, ep.conversationHref);
    // The invitation stays Connecting while the user waits in the lobby.
    this.emit(ep.app, 'communication', { type: 'updated', link: { rel: this.rel(ep), href: ep.href }, embedded: this.invitationResource(ep, false, 'Connecting') });
    const admitAfter = ep.invitation.spec.admitAfterSeconds;
    if (admitAfter !== undefined) {
      // Only someone still waiting is admitted (not one denied, cancelled or gone meanwhile).
      this.clock.after(admitAfter, () => {
        if (ep.state === 'inLobby') this.admitEndpoint(ep);
      });
    }
  }

  private connect(ep: Endpoint): void {
    const inv = ep.invitation;
    ep.state = 'connected';
    const kind = inv.spec.kind;
    const conversationState = kind === 'onlineMeeting' ? 'Conferenced' : 'Connected';
    if (kind === 'messaging') {
      this.emit(ep.app, 'conversation', { type: 'updated', link: { rel: 'messaging', href: `${ep.conversationHref}/messaging` }, embedded: this.messaging.open(ep) }, ep.conversationHref);
    } else if (kind === 'audioVideo') {
      this.emit(ep.app, 'conversation', { type: 'updated', link: { rel: 'audioVideo', href: `${ep.conversationHref}/audioVideo` }, embedded: { rel: 'audioVideo', href: `${ep.conversationHref}/audioVideo`, props: { state: 'Connected' } } }, ep.conversationHref);
    }
    this.emit(ep.app, 'communication', { type: 'updated', link: { rel: 'conversation', href: ep.conversationHref }, embedded: this.conversationResource(ep, conversationState) });
    this.emit(ep.app, 'communication', { type: 'completed', link: { rel: this.rel(ep), href: ep.href }, status: 'Success', embedded: this.invitationResource(ep, false, 'Connected') });
    if (kind === 'messaging' && inv.spec.message !== undefined) {
      const href = `${ep.conversationHref}/messaging/messages/1`;
      this.emit(ep.app, 'conversation', {
        type: 'completed',
        link: { rel: 'message', href },
        status: 'Success',
        embedded: {
          rel: 'message',
          href,
          props: { direction: 'Incoming', timeStamp: inv.createdAt },
          links: {
            participant: { href: this.participantHref(ep, inv.spec.from.uri), title: inv.spec.from.name },
            messaging: { href: `${ep.conversationHref}/messaging` },
            plainMessage: { href: textDataUri(`${inv.spec.message}\r\n`, inv.spec.messageEncoding) },
          },
        },
      }, ep.conversationHref);
    }
  }

  private complete(ep: Endpoint, outcome: keyof typeof FAILURES, reason?: SimReason): void {
    ep.state = outcome;
    ep.finalReason = reason ?? FAILURES[outcome];
    this.emit(ep.app, 'communication', {
      type: 'completed',
      link: { rel: this.rel(ep), href: ep.href },
      status: 'Failure',
      reason: ep.finalReason,
      embedded: this.invitationResource(ep, false, 'Failed'),
    });
    this.emit(ep.app, 'communication', { type: 'deleted', link: { rel: 'conversation', href: ep.conversationHref } });
  }

  private emit(app: SimApplication, senderRel: 'communication' | 'conversation', event: SimEvent, senderHref?: string): void {
    if (app.gone) return;
    app.channel.enqueue({ rel: senderRel, href: senderHref ?? app.communicationHref }, event, 'high');
  }

  // ------------------------------------------------------------------------------------------------ resources

  private rel(ep: Endpoint): string {
    return `${ep.invitation.spec.kind}Invitation`;
  }

  private participantHref(ep: Endpoint, uri: string): string {
    return `${ep.conversationHref}/participants/${encodeURIComponent(uri.replace(/^sip:/, ''))}`;
  }

  private localParticipantHref(ep: Endpoint): string {
    return this.participantHref(ep, ep.app.user.sip);
  }

  private localParticipant(ep: Endpoint, inLobby: boolean): SimResource {
    return {
      rel: 'localParticipant',
      href: this.localParticipantHref(ep),
      props: { name: ep.app.user.displayName, uri: ep.app.user.sip, local: true, inLobby, anonymous: false, role: 'Attendee', sourceNetwork: 'SameEnterprise' },
      links: { conversation: { href: ep.conversationHref } },
    };
  }

  conversationResource(ep: Endpoint, state?: string): SimResource {
    const spec = ep.invitation.spec;
    const s = state ?? { ringing: 'Incoming', inLobby: 'InLobby', connected: spec.kind === 'onlineMeeting' ? 'Conferenced' : 'Connected' }[ep.state as 'ringing'] ?? 'Disconnected';
    const modalities = { messaging: ['Messaging'], audioVideo: ['Audio'], onlineMeeting: spec.availableModalities }[spec.kind];
    return {
      rel: 'conversation',
      href: ep.conversationHref,
      props: { state: s, subject: spec.subject, importance: spec.importance, threadId: ep.invitation.threadId, activeModalities: modalities, recording: false },
      links: {
        localParticipant: { href: this.localParticipantHref(ep) },
        messaging: { href: `${ep.conversationHref}/messaging` },
        audioVideo: { href: `${ep.conversationHref}/audioVideo` },
        participants: { href: `${ep.conversationHref}/participants` },
      },
    };
  }

  /** The invitation as this endpoint sees it; `withActions` only while it still rings (started, GET). */
  invitationResource(ep: Endpoint, withActions: boolean, state?: string): SimResource {
    const inv = ep.invitation;
    const spec = inv.spec;
    const s = state ?? { ringing: 'Connecting', inLobby: 'Connecting', connected: 'Connected' }[ep.state as 'ringing'] ?? 'Failed';
    const actions = withActions && ep.state === 'ringing';
    const from = spec.from;
    const props: SimResource['props'] = { direction: 'Incoming', importance: spec.importance, state: s, subject: spec.subject, threadId: inv.threadId, to: ep.app.user.sip };
    const links: SimResource['links'] = {
      conversation: { href: ep.conversationHref },
      from: { href: this.participantHref(ep, from.uri), title: from.name },
      to: { href: `${ep.app.base}/people/${encodeURIComponent(ep.app.user.sip.replace(/^sip:/, ''))}` },
      message: spec.message !== undefined ? { href: textDataUri(`${spec.message}\r\n`, spec.messageEncoding) } : undefined,
      onBehalfOf: spec.onBehalfOf ? { href: `${ep.app.base}/people/${encodeURIComponent(spec.onBehalfOf.uri.replace(/^sip:/, ''))}`, title: spec.onBehalfOf.name } : undefined,
    };
    if (spec.kind === 'onlineMeeting') {
      props.onlineMeetingUri = spec.onlineMeetingUri;
      props.availableModalities = spec.availableModalities;
      if (actions) Object.assign(links, { accept: { href: `${ep.href}/accept` }, decline: { href: `${ep.href}/decline` } });
    } else if (spec.kind === 'messaging') {
      links.messaging = { href: `${ep.conversationHref}/messaging` };
      if (actions) Object.assign(links, { accept: { href: `${ep.href}/accept` }, decline: { href: `${ep.href}/decline` } });
    } else {
      props.sessionContext = inv.threadId;
      links.audioVideo = { href: `${ep.conversationHref}/audioVideo` };
      links.mediaOffer = { href: `data:application/sdp;base64,${Buffer.from('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n').toString('base64')}` };
      // Audio/video has no plain accept: only an SDP answer or phone audio.
      if (actions) {
        Object.assign(links, {
          acceptWithAnswer: { href: `${ep.href}/acceptWithAnswer` },
          acceptWithPhoneAudio: { href: `${ep.href}/acceptWithPhoneAudio` },
          decline: { href: `${ep.href}/decline` },
        });
      }
    }
    return {
      rel: this.rel(ep),
      href: ep.href,
      props,
      links,
      embedded: {
        from: {
          rel: 'participant',
          href: this.participantHref(ep, from.uri),
          props: { name: from.name, uri: from.uri, sourceNetwork: from.sourceNetwork, anonymous: false, local: false },
          links: { conversation: { href: ep.conversationHref }, contact: { href: `${ep.app.base}/people/${encodeURIComponent(from.uri.replace(/^sip:/, ''))}` } },
        },
      },
    };
  }
}

export type { Endpoint };
