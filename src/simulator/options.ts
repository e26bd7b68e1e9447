// Simulator settings. Defaults are the documented server values (see the UCWA protocol reference); where the sources
// disagree or say nothing, the choice is a setting so tests can cover every variant a real pool may show.
import type { SimUser } from './users';

export interface JwtTrust {
  /** HMAC secret for HS256 tokens. */
  hs256Secret?: string;
  /** PEM public key for RS256 tokens. */
  rs256PublicKey?: string;
}

export interface SimulatorOptions {
  /** Address to listen on; loopback by default. */
  host: string;
  /** Port of the primary pool (also serves the discovery root at `/`); 0 picks a free one. */
  port: number;
  /** Multiplies every protocol duration: 1 = real time, 0.001 = a 180 s hold lasts 180 ms. */
  timeScale: number;
  users: SimUser[];
  /** Start a second pool (its own port and its own token issuer) for users homed there. */
  secondaryPool: boolean;
  /** The discovery root answers with only a `redirect` link to the secondary pool's root. */
  rootRedirect: boolean;
  /** `separate`: two WWW-Authenticate header lines; `joined`: one comma-joined header (both seen on real servers). */
  challengeStyle: 'separate' | 'joined';
  /** `expires_in` of issued tokens, in seconds (8 h on premises). */
  tokenLifetimeSeconds: number;
  /** An expired or unknown token gets 401 (on premises) or 403 with the `InvalidToken` warning (seen online). */
  invalidTokenStatus: 401 | 403;
  /** Bearer JWTs accepted besides the pool's own tokens (audience = the pool origin, `upn` claim). */
  jwt?: JwtTrust;
  /** Status for requests to an application that no longer exists (both are documented). */
  applicationGoneStatus: 404 | 410;
  /** Applications per user before the oldest is evicted with 410 TooManyApplications. */
  maxApplicationsPerUser: number;
  /** Reap an application this long after its last P-GET was released without a new one (web: 300 s). */
  pgetIdleTimeoutSeconds: number;
  /** Reap an application that never parked a P-GET after this long (web: 7200 s). */
  pgetInitialIdleTimeoutSeconds: number;
  /** Reap an application made available that reported no activity for this long (web: 7200 s). */
  activityTimeoutSeconds: number;
  /** Default P-GET hold when the client sends no `timeout` (events_ref: 180; server config: 900). */
  defaultPGetTimeoutSeconds: number;
  /** Answer window of an incoming invitation before it is withdrawn as missed (about 30 s). */
  answerWindowSeconds: number;
  /** Delay between `started` and the `updated` event that drops the accept/decline links. */
  invitationUpdateDelaySeconds: number;
  /** A late or second accept/decline: 404, 409, or 204 followed by a Failure completion. */
  lateActionBehaviour: 'notFound' | 'conflict' | 'acceptedThenFailed';
  /**
   * `removed`: once an invitation has completed (connected, declined, cancelled...), GET on it answers 404, as pools
   * that drop finished invitations at once do; `kept`: it stays readable with its final state.
   */
  completedInvitations: 'kept' | 'removed';
  /** makeMeAvailable with Audio/Video is refused with 403 (a policy some pools apply to UCWA applications). */
  refuseAudioVideoModalities: boolean;
  /** How many requests `GET /_sim/requests` remembers. */
  requestLogSize: number;
}

export const DEFAULT_OPTIONS: Omit<SimulatorOptions, 'users'> = {
  host: '127.0.0.1',
  port: 0,
  timeScale: 1,
  secondaryPool: false,
  rootRedirect: false,
  challengeStyle: 'separate',
  tokenLifetimeSeconds: 28800,
  invalidTokenStatus: 401,
  applicationGoneStatus: 404,
  maxApplicationsPerUser: 16,
  pgetIdleTimeoutSeconds: 300,
  pgetInitialIdleTimeoutSeconds: 7200,
  activityTimeoutSeconds: 7200,
  defaultPGetTimeoutSeconds: 180,
  answerWindowSeconds: 30,
  invitationUpdateDelaySeconds: 1,
  lateActionBehaviour: 'notFound',
  completedInvitations: 'kept',
  refuseAudioVideoModalities: false,
  requestLogSize: 2000,
};

/** Documented ranges of the event channel's query parameters (events_ref). Out-of-range values are clamped. */
export const PGET_LIMITS = {
  timeout: { min: 180, max: 1800 },
  medium: { min: 5, max: 1800, default: 5 },
  low: { min: 5, max: 1800, default: 15 },
} as const;
