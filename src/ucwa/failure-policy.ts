// What to do about a failed UCWA request, in one table: the event channel and the watcher both ask `classify(error,
// where)`. Each rule is small and named; it answers with an action or passes (undefined) to the next rule, and the
// first answer wins. Where the request went matters: a 404 means "the application is gone" only for the application
// itself or its event channel (or with subcode ApplicationNotFound); anywhere else the resource is just missing.
import { ApplicationGoneError, RediscoveryNeededError, UcwaAuthError, UcwaError, UcwaHttpError, UcwaNetworkError, UcwaOriginError } from './errors';
import { UcwaParseError } from './resource';

/** Which request failed. */
export type RequestSite =
  /** Autodiscovery: the root, the user resource and its redirects. */
  | 'discovery'
  /** The application itself: create, GET, makeMeAvailable, reportMyActivity. */
  | 'application'
  /** The P-GET on the application's event channel. */
  | 'eventChannel'
  /** A resource under the application read beside the channel (the conversations list, an invitation), and the
   * caller's work on a batch. */
  | 'secondaryResource'
  /** An accept or decline POST on an invitation. */
  | 'action';

export type FailureActionKind =
  /** Send the same request again after the backoff (honouring Retry-After). */
  | 'retrySameUrl'
  /** Cached discovery is stale: discover again, then go on. */
  | 'rediscover'
  /** The application is gone: make a new one (after signing the old one out). */
  | 'recreateApplication'
  /** The pool refuses the credentials: sign in again, with the long backoff. */
  | 'signInAgain'
  /** Repeating this request cannot help: give it up (the caller goes on without it, or reports it). */
  | 'giveUp';

export interface FailureAction {
  kind: FailureActionKind;
  /** The rule that decided (for logs and tests). */
  rule: string;
  retryAfterSeconds?: number;
  /** recreateApplication: the pool refuses another application for now (TooManyApplications, UserAgentNotAllowed). */
  refusedSubcode?: string;
}

/** A request the caller's work made beside the event channel, given up there: the channel stops with this. */
export class GivenUpError extends UcwaError {
  override readonly name = 'GivenUpError';

  constructor(
    override readonly cause: Error,
    readonly where: RequestSite,
  ) {
    super(`given up (${where}): ${cause.message}`);
  }
}

export interface FailureRule {
  name: string;
  decide(error: Error, where: RequestSite): Omit<FailureAction, 'rule'> | undefined;
}

/** The HTTP answer behind an error, also inside the errors the event channel raises once it has decided. */
function httpAnswer(error: Error): UcwaHttpError | undefined {
  if (error instanceof UcwaHttpError) return error;
  if ((error instanceof ApplicationGoneError || error instanceof RediscoveryNeededError) && error.cause instanceof UcwaHttpError) return error.cause;
  return undefined;
}

/**
 * 410 subcodes that mean "do not simply make another application" (reference §3.3): the user's application limit is
 * reached (a new one would evict another of their clients, perhaps their own Skype) or the pool refuses our user
 * agent. Waited out with the long backoff.
 */
export const REFUSED_APPLICATION_SUBCODES: ReadonlySet<string> = new Set(['TooManyApplications', 'UserAgentNotAllowed']);

/** Sites where a 404/410 speaks of the application itself. */
const APPLICATION_SITES: ReadonlySet<RequestSite> = new Set(['application', 'eventChannel']);

export const FAILURE_RULES: readonly FailureRule[] = [
  {
    // Decided where it happened; whoever sees it later must not read the inner answer again as its own.
    name: 'alreadyGivenUp',
    decide(error) {
      return error instanceof GivenUpError ? { kind: 'giveUp' } : undefined;
    },
  },
  {
    // The pool refuses another application for this user: recreating at once would only be refused again.
    name: 'applicationRefused',
    decide(error) {
      const http = httpAnswer(error);
      if (http?.status !== 410 || !http.subcode || !REFUSED_APPLICATION_SUBCODES.has(http.subcode)) return undefined;
      return { kind: 'recreateApplication', refusedSubcode: http.subcode, retryAfterSeconds: http.retryAfterSeconds };
    },
  },
  {
    // Already decided by the event channel (it raised it): the watcher acts on the decision.
    name: 'applicationGone',
    decide(error) {
      return error instanceof ApplicationGoneError ? { kind: 'recreateApplication' } : undefined;
    },
  },
  {
    name: 'rediscoveryAsked',
    decide(error) {
      return error instanceof RediscoveryNeededError ? { kind: 'rediscover' } : undefined;
    },
  },
  {
    // ApplicationNotFound names the application wherever the request went; any other 404/410 only on the
    // application or its event channel. A secondary resource that is missing is just missing.
    name: 'applicationNotFound',
    decide(error, where) {
      if (!(error instanceof UcwaHttpError) || (error.status !== 404 && error.status !== 410)) return undefined;
      if (error.subcode === 'ApplicationNotFound' || APPLICATION_SITES.has(where)) return { kind: 'recreateApplication' };
      return { kind: 'giveUp' };
    },
  },
  {
    // 403 that is not about the token (the session signs in again for those) and 502: cached discovery is stale
    // (reference §1). An accept or decline refused this way is the invitation's answer, not the pool's.
    name: 'staleDiscovery',
    decide(error, where) {
      if (where === 'action' || !(error instanceof UcwaHttpError) || (error.status !== 403 && error.status !== 502)) return undefined;
      return { kind: 'rediscover' };
    },
  },
  {
    name: 'signInRefused',
    decide(error) {
      return error instanceof UcwaAuthError ? { kind: 'signInAgain' } : undefined;
    },
  },
  {
    // A link that leads off the pool never works, and the token must not follow it.
    name: 'foreignOrigin',
    decide(error) {
      return error instanceof UcwaOriginError ? { kind: 'giveUp' } : undefined;
    },
  },
  {
    // An accept or decline the pool answered with an error: the invitation said no (404/409: it ended meanwhile).
    name: 'actionRefused',
    decide(error, where) {
      return where === 'action' && error instanceof UcwaHttpError ? { kind: 'giveUp' } : undefined;
    },
  },
  {
    // 409 PGetReplaced (someone replaced our P-GET), 408, 429, 5xx and other surprises: the same URL again.
    name: 'transientAnswer',
    decide(error) {
      return error instanceof UcwaHttpError ? { kind: 'retrySameUrl', retryAfterSeconds: error.retryAfterSeconds } : undefined;
    },
  },
  {
    // No answer, or one cut short or garbled: asking again is safe (the reference's advice after a lost answer).
    name: 'transientTransport',
    decide(error) {
      return error instanceof UcwaNetworkError || error instanceof UcwaParseError ? { kind: 'retrySameUrl' } : undefined;
    },
  },
  {
    // Other client errors (discovery found nothing usable, say) need someone to look: not repeated blindly.
    name: 'otherClientError',
    decide(error) {
      return error instanceof UcwaError ? { kind: 'giveUp' } : undefined;
    },
  },
];

/** Anything else, typically the store failing under onBatch: the batch was not acknowledged, so asking again gets it. */
const FALLBACK: FailureAction = { kind: 'retrySameUrl', rule: 'notUcwa' };

export function classify(error: Error, where: RequestSite, rules: readonly FailureRule[] = FAILURE_RULES): FailureAction {
  for (const rule of rules) {
    const action = rule.decide(error, where);
    // Retry-After is honoured whatever the action (a 503 or a 410 may carry one).
    if (action) return { retryAfterSeconds: httpAnswer(error)?.retryAfterSeconds, ...action, rule: rule.name };
  }
  return FALLBACK;
}
