// UCWA applications: creation with the per-user limit, the me/communication resources, makeMeAvailable,
// reportMyActivity, and reaping when the P-GET or the activity reports stop.
import { randomUUID } from 'node:crypto';
import { SimClock, SimTimer } from './clock';
import { EventChannel } from './event-channel';
import type { SimulatorOptions } from './options';
import type { SimReason, SimResource } from './representation';
import type { PoolId } from './tokens';
import type { SimUser } from './users';

export const APPLICATIONS_PATH = '/ucwa/oauth/v1/applications';

/** Modalities a UCWA endpoint can register for incoming invitations. */
export const KNOWN_MODALITIES = ['Messaging', 'Audio', 'Video', 'PhoneAudio', 'ApplicationSharing', 'DataCollaboration', 'PanoramicVideo'];

export interface ApplicationInput {
  userAgent: string;
  endpointId: string;
  culture: string;
  type?: string;
}

export interface GoneState {
  status: number;
  reason: SimReason;
}

export class SimApplication {
  readonly base: string;
  readonly channel: EventChannel;
  madeAvailable = false;
  modalities: string[] = [];
  messageFormats: string[] = [];
  phoneNumber?: string;
  gone?: GoneState;
  readonly createdAt: number;
  /** The communication resource's PUT token (a randomly named property, as real servers do). */
  readonly magicProperty = randomUUID();
  private idleTimer?: SimTimer;
  private activityTimer?: SimTimer;

  constructor(
    readonly id: string,
    readonly user: SimUser,
    readonly pool: PoolId,
    readonly input: ApplicationInput,
    private readonly clock: SimClock,
    private readonly options: SimulatorOptions,
    private readonly onReaped: (app: SimApplication, gone: GoneState) => void,
  ) {
    this.base = `${APPLICATIONS_PATH}/${id}`;
    this.createdAt = clock.now();
    this.channel = new EventChannel(`${this.base}/events`, clock, options.defaultPGetTimeoutSeconds, {
      onParked: () => this.cancelIdle(),
      onReleased: () => this.startIdle(options.pgetIdleTimeoutSeconds),
    });
    // Before its first P-GET an application lives longer (WebPendingGetInitialIdleTimeoutInSeconds).
    this.startIdle(options.pgetInitialIdleTimeoutSeconds);
  }

  get meHref(): string {
    return `${this.base}/me`;
  }

  get communicationHref(): string {
    return `${this.base}/communication`;
  }

  /** Whether an invitation of this kind would reach this endpoint. */
  receives(kind: 'messaging' | 'audioVideo' | 'onlineMeeting', meetingModalities: string[]): boolean {
    if (!this.madeAvailable || this.gone) return false;
    if (kind === 'messaging') return this.modalities.includes('Messaging');
    if (kind === 'audioVideo') return this.modalities.some((m) => m === 'Audio' || m === 'Video' || m === 'PhoneAudio');
    return meetingModalities.some((m) => this.modalities.includes(m) || (m === 'Audio' && this.modalities.includes('PhoneAudio')));
  }

  reportActivity(): void {
    this.activityTimer?.cancel();
    // Same configurable answer as the P-GET idle window: the issue makes 404/410 a setting for both kinds of reaping.
    this.activityTimer = this.clock.after(this.options.activityTimeoutSeconds, () => this.reap(goneForIdle(this.options, 'no user activity was reported')));
  }

  private startIdle(seconds: number): void {
    this.cancelIdle();
    this.idleTimer = this.clock.after(seconds, () => this.reap(goneForIdle(this.options)));
  }

  private cancelIdle(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
  }

  reap(gone: GoneState): void {
    if (this.gone) return;
    this.gone = gone;
    this.cancelIdle();
    this.activityTimer?.cancel();
    this.channel.failParked(gone.status, gone.reason);
    this.channel.close();
    this.onReaped(this, gone);
  }

  // ------------------------------------------------------------------------------------------ representations

  meResource(): SimResource {
    const b = this.meHref;
    return {
      rel: 'me',
      href: b,
      props: { name: this.user.displayName, uri: this.user.sip },
      links: {
        makeMeAvailable: { href: `${b}/makeMeAvailable` },
        photo: { href: `${this.base}/photos/${this.user.upn}` },
        // These appear only once the user is available, as on real servers.
        presence: this.madeAvailable ? { href: `${b}/presence` } : undefined,
        note: this.madeAvailable ? { href: `${b}/note` } : undefined,
        location: this.madeAvailable ? { href: `${b}/location` } : undefined,
        reportMyActivity: this.madeAvailable ? { href: `${b}/reportMyActivity` } : undefined,
      },
    };
  }

  communicationResource(): SimResource {
    const b = this.communicationHref;
    return {
      rel: 'communication',
      href: b,
      props: {
        [this.magicProperty]: 'please pass this in a PUT request',
        supportedModalities: this.modalities,
        supportedMessageFormats: this.messageFormats.length ? this.messageFormats : ['Plain'],
      },
      links: {
        conversations: { href: `${b}/conversations?filter=active` },
        startMessaging: { href: `${b}/messagingInvitations` },
        startOnlineMeeting: { href: `${b}/onlineMeetingInvitations?onlineMeetingUri=adhoc` },
        joinOnlineMeeting: { href: `${b}/onlineMeetingInvitations` },
        missedItems: { href: `${b}/missedItems` },
      },
    };
  }

  resource(): SimResource {
    const b = this.base;
    return {
      rel: 'application',
      href: b,
      props: { culture: this.input.culture, userAgent: this.input.userAgent, type: this.input.type ?? 'Browser', endpointId: this.input.endpointId, id: this.id },
      links: {
        policies: { href: `${b}/policies` },
        batch: { href: `${b}/batch` },
        events: { href: this.channel.initialHref },
      },
      embedded: {
        me: this.meResource(),
        people: {
          rel: 'people',
          href: `${b}/people`,
          links: { presenceSubscriptions: { href: `${b}/people/presenceSubscriptions` }, myContacts: { href: `${b}/people/contacts` }, search: { href: `${b}/people/search` } },
        },
        onlineMeetings: {
          rel: 'onlineMeetings',
          href: `${b}/onlineMeetings`,
          links: { myOnlineMeetings: { href: `${b}/onlineMeetings/myOnlineMeetings` }, myAssignedOnlineMeeting: { href: `${b}/onlineMeetings/myAssignedOnlineMeeting` } },
        },
        communication: this.communicationResource(),
      },
    };
  }
}

function goneForIdle(options: SimulatorOptions, why = 'no pending GET was parked'): GoneState {
  return options.applicationGoneStatus === 410
    ? { status: 410, reason: { code: 'Gone', subcode: 'InactiveApplicationExpired', message: `The application expired: ${why}.` } }
    : { status: 404, reason: { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'The application does not exist.' } };
}

export class ApplicationRegistry {
  private readonly apps = new Map<string, SimApplication>();
  private readonly byUser = new Map<string, SimApplication[]>();
  /** Gone applications answer with the status they died with. */
  private readonly tombstones = new Map<string, GoneState>();
  // Large ids like real pools' (e.g. 101017548935), unique per simulator.
  private nextId = 101017548935 + Math.floor(Math.random() * 1e6) * 1000;

  constructor(
    private readonly clock: SimClock,
    private readonly options: SimulatorOptions,
    private readonly onReaped: (app: SimApplication, gone: GoneState) => void = () => undefined,
  ) {}

  create(user: SimUser, pool: PoolId, input: ApplicationInput): SimApplication {
    const id = String(this.nextId++);
    const app = new SimApplication(id, user, pool, input, this.clock, this.options, (a, g) => this.forget(a, g));
    this.apps.set(id, app);
    const list = this.byUser.get(user.upn) ?? [];
    list.push(app);
    this.byUser.set(user.upn, list);
    // Over the limit the oldest application is evicted (which one goes is unconfirmed; oldest is the assumption).
    while (list.length > this.options.maxApplicationsPerUser) {
      list[0].reap({ status: 410, reason: { code: 'Gone', subcode: 'TooManyApplications', message: 'The user has too many applications.' } });
    }
    return app;
  }

  get(id: string): SimApplication | undefined {
    return this.apps.get(id);
  }

  goneState(id: string): GoneState | undefined {
    return this.tombstones.get(id);
  }

  forUser(upn: string): SimApplication[] {
    return [...(this.byUser.get(upn.toLowerCase()) ?? [])];
  }

  all(): SimApplication[] {
    return [...this.apps.values()];
  }

  /** DELETE of the application: gone for good, answered as ApplicationNotFound afterwards. */
  delete(app: SimApplication): void {
    app.reap({ status: 404, reason: { code: 'NotFound', subcode: 'ApplicationNotFound', message: 'The application does not exist.' } });
  }

  private forget(app: SimApplication, gone: GoneState): void {
    this.apps.delete(app.id);
    this.tombstones.set(app.id, gone);
    const list = this.byUser.get(app.user.upn);
    if (list) {
      const i = list.indexOf(app);
      if (i >= 0) list.splice(i, 1);
    }
    this.onReaped(app, gone);
  }

  closeAll(): void {
    for (const app of this.apps.values()) app.channel.close();
  }
}
