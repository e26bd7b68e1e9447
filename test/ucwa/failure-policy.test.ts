// The failure table: every named rule, at the sites where its answer differs, and the order that makes the first
// answer win (a refused 410 before "gone", "gone" only for the application and its channel).
import assert from 'node:assert/strict';
import { ApplicationGoneError, RediscoveryNeededError, UcwaAuthError, UcwaError, UcwaHttpError, UcwaNetworkError, UcwaOriginError } from '../../src/ucwa/errors';
import { classify, FAILURE_RULES, FailureActionKind, GivenUpError, RequestSite } from '../../src/ucwa/failure-policy';
import { UcwaParseError } from '../../src/ucwa/resource';

const http = (status: number, subcode?: string, retryAfter?: number) =>
  new UcwaHttpError('GET', '/ucwa/oauth/v1/applications/1/x', status, { code: 'X', subcode }, retryAfter);

const ALL_SITES: RequestSite[] = ['discovery', 'application', 'eventChannel', 'secondaryResource', 'action'];

interface Case {
  what: string;
  error: Error;
  /** The expected action per site (sites not listed: `otherwise`). */
  at?: Partial<Record<RequestSite, FailureActionKind>>;
  otherwise: FailureActionKind;
  rule: string | Partial<Record<RequestSite, string>>;
}

const CASES: Case[] = [
  { what: '410 TooManyApplications', error: http(410, 'TooManyApplications'), otherwise: 'recreateApplication', rule: 'applicationRefused' },
  { what: '410 UserAgentNotAllowed', error: http(410, 'UserAgentNotAllowed'), otherwise: 'recreateApplication', rule: 'applicationRefused' },
  { what: 'ApplicationGoneError from the channel', error: new ApplicationGoneError(http(404)), otherwise: 'recreateApplication', rule: 'applicationGone' },
  { what: 'RediscoveryNeededError from the channel', error: new RediscoveryNeededError(http(502)), otherwise: 'rediscover', rule: 'rediscoveryAsked' },
  { what: '404 ApplicationNotFound', error: http(404, 'ApplicationNotFound'), otherwise: 'recreateApplication', rule: 'applicationNotFound' },
  {
    what: '404 without subcode',
    error: http(404),
    at: { application: 'recreateApplication', eventChannel: 'recreateApplication' },
    otherwise: 'giveUp',
    rule: 'applicationNotFound',
  },
  {
    what: '410 InactiveApplicationExpired',
    error: http(410, 'InactiveApplicationExpired'),
    at: { application: 'recreateApplication', eventChannel: 'recreateApplication' },
    otherwise: 'giveUp',
    rule: 'applicationNotFound',
  },
  { what: '403 (not about the token)', error: http(403), at: { action: 'giveUp' }, otherwise: 'rediscover', rule: { action: 'actionRefused' } },
  { what: '502', error: http(502), at: { action: 'giveUp' }, otherwise: 'rediscover', rule: { action: 'actionRefused' } },
  { what: 'a refused sign-in', error: new UcwaAuthError('refused'), otherwise: 'signInAgain', rule: 'signInRefused' },
  { what: 'a link to another origin', error: new UcwaOriginError('elsewhere'), otherwise: 'giveUp', rule: 'foreignOrigin' },
  { what: '409 PGetReplaced', error: http(409, 'PGetReplaced'), at: { action: 'giveUp' }, otherwise: 'retrySameUrl', rule: { action: 'actionRefused' } },
  { what: '503', error: http(503), at: { action: 'giveUp' }, otherwise: 'retrySameUrl', rule: { action: 'actionRefused' } },
  { what: 'a reset connection', error: new UcwaNetworkError('GET', '/x', 'ECONNRESET', 'reset'), otherwise: 'retrySameUrl', rule: 'transientTransport' },
  { what: 'a garbled body', error: new UcwaParseError('malformed', 'bad', 'application/json', '{'), otherwise: 'retrySameUrl', rule: 'transientTransport' },
  { what: 'another client error', error: new UcwaError('no applications link'), otherwise: 'giveUp', rule: 'otherClientError' },
  { what: 'a read given up beside the channel', error: new GivenUpError(http(404), 'secondaryResource'), otherwise: 'giveUp', rule: 'alreadyGivenUp' },
  { what: 'the store failing', error: new Error('SQLITE_READONLY'), otherwise: 'retrySameUrl', rule: 'notUcwa' },
];

describe('UCWA failure policy: classify(error, where)', () => {
  for (const c of CASES) {
    it(`${c.what}: ${ALL_SITES.map((s) => `${s} -> ${c.at?.[s] ?? c.otherwise}`).join(', ')}`, () => {
      for (const site of ALL_SITES) {
        const action = classify(c.error, site);
        assert.equal(action.kind, c.at?.[site] ?? c.otherwise, `${c.what} at ${site} (rule ${action.rule})`);
        const rule = typeof c.rule === 'string' ? c.rule : (c.rule[site] ?? FAILURE_RULES.find((r) => r.decide(c.error, site))?.name);
        assert.equal(action.rule, rule, `${c.what} at ${site}`);
      }
    });
  }

  it('every rule in the table is exercised above', () => {
    const decided = new Set(CASES.flatMap((c) => ALL_SITES.map((s) => classify(c.error, s).rule)));
    assert.deepEqual(
      FAILURE_RULES.map((r) => r.name).filter((n) => !decided.has(n)),
      [],
    );
  });

  it('Retry-After travels with the action, whatever it is', () => {
    assert.equal(classify(http(503, undefined, 7), 'eventChannel').retryAfterSeconds, 7);
    assert.equal(classify(http(429, undefined, 3), 'application').retryAfterSeconds, 3);
    assert.equal(classify(http(410, 'TooManyApplications', 120), 'application').retryAfterSeconds, 120);
    assert.equal(classify(new UcwaNetworkError('GET', '/x', 'ETIMEDOUT', 'slow'), 'eventChannel').retryAfterSeconds, undefined);
  });

  it('a refused 410 names its subcode, for the long backoff and the account status', () => {
    assert.equal(classify(new ApplicationGoneError(http(410, 'TooManyApplications')), 'eventChannel').refusedSubcode, 'TooManyApplications');
    assert.equal(classify(http(404, 'ApplicationNotFound'), 'eventChannel').refusedSubcode, undefined);
  });
});
