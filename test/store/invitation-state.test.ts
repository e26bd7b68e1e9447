// The invitation's state machine on its own: a table of every (status, input) pair, and properties over random
// sequences of inputs (every state reached can be shown; a card is redrawn exactly when what it shows changes).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { invitationCardData, statusOf as cardStatusOf } from '../../cards/invitation-card';
import { mergeInvitation } from '../../src/store/invitation-merge';
import {
  cardView,
  decide,
  INVITATION_REASONS,
  type InvitationInput,
  type InvitationReason,
  type InvitationStatus,
  type ReportedState,
  SHOWN_REASONS,
  step,
} from '../../src/store/invitation-state';
import { INVITATION_STATES, type InvitationRecord, type InvitationState } from '../../src/store/records';
import { record as cardRecord } from '../cards/helpers';
import { upsertInput } from './helpers';

const EVENT_STATES: ReportedState[] = ['pending', 'inLobby', 'connected', 'declined', 'cancelledBySender', 'missed', 'answeredElsewhere', 'denied', 'failed'];

/** Columns of the table after the event columns, in order. */
const INPUTS: Array<[label: string, input: InvitationInput]> = [
  ['click accept', { kind: 'click', verb: 'accept' }],
  ['click decline', { kind: 'click', verb: 'decline' }],
  ['click ok', { kind: 'clickOutcome', outcome: 'ok' }],
  ['click notOffered', { kind: 'clickOutcome', outcome: 'notOffered' }],
  ['click notConnected', { kind: 'clickOutcome', outcome: 'notConnected' }],
  ['click invitationEnded', { kind: 'clickOutcome', outcome: 'invitationEnded' }],
  ['click applicationGone', { kind: 'clickOutcome', outcome: 'applicationGone' }],
  ['click refused', { kind: 'clickOutcome', outcome: 'refused', serverReason: { code: 'ServiceFailure', message: 'Busy' } }],
  ['conversation gone', { kind: 'conversationGone' }],
  ['application lost', { kind: 'orphaned', cause: 'applicationLost' }],
  ['application replaced', { kind: 'orphaned', cause: 'applicationReplaced' }],
  ['recovered stillOffered', { kind: 'recovered', finding: 'stillOffered' }],
  ['recovered movedOn', { kind: 'recovered', finding: 'movedOn' }],
  ['recovered gone', { kind: 'recovered', finding: 'gone' }],
  ['recovered unusable', { kind: 'recovered', finding: 'unusable' }],
  ['conversation ended by user', { kind: 'conversationEnded', by: 'user' }],
  ['conversation ended by remote', { kind: 'conversationEnded', by: 'remote' }],
  ['conversation left idle', { kind: 'conversationEnded', by: 'idle' }],
];

/** Cell codes: `-` nothing changes, `x` a click that loses, `settle` the same status made final; else the target. */
const TARGETS: Record<string, InvitationStatus> = {
  acc: { state: 'accepting', reason: 'clicked', provisional: false },
  dec: { state: 'declining', reason: 'clicked', provisional: false },
  ret: { state: 'pending', reason: 'clickReturned', provisional: false },
  reo: { state: 'pending', reason: 'reopened', provisional: false },
  ebaP: { state: 'ended', reason: 'endedBeforeAnswer', provisional: true },
  lost: { state: 'ended', reason: 'applicationLost', provisional: false },
  repl: { state: 'ended', reason: 'applicationReplaced', provisional: false },
  refP: { state: 'failed', reason: 'actionRefused', provisional: true },
  clP: { state: 'failed', reason: 'connectionLost', provisional: true },
  left: { state: 'conversationEnded', reason: 'leftByUser', provisional: false },
  rem: { state: 'conversationEnded', reason: 'endedByRemote', provisional: false },
  idle: { state: 'conversationEnded', reason: 'idleLeft', provisional: false },
};

/**
 * One row per status the card can show. `events`: one character per EVENT_STATES entry, `>` the event's state wins
 * (reason `reported`, final), `-` the record stays. Then one cell per INPUTS entry.
 */
const TABLE: Array<[status: string, events: string, ...cells: string[]]> = [
  // status                       events       acc    dec    ok   notOff notConn ended   appGone refused convGone lost    repl    reopen moved gone unusable
  ['pending/reported',            '->>>>>>>>', 'acc', 'dec', '-', '-',   '-',    '-',    '-',    '-',    'clP',   'lost', 'repl', '-',   '-',  '-', '-', '-', '-', '-'],
  ['pending/clickReturned',       '->>>>>>>>', 'acc', 'dec', '-', '-',   '-',    '-',    '-',    '-',    'clP',   'lost', 'repl', '-',   '-',  '-', '-', '-', '-', '-'],
  ['pending/reopened',            '->>>>>>>>', 'acc', 'dec', '-', '-',   '-',    '-',    '-',    '-',    'clP',   'lost', 'repl', '-',   '-',  '-', '-', '-', '-', '-'],
  ['accepting/clicked',           '->>>>>>>>', 'x',   'x',   '-', 'ret', 'ret',  'ebaP', 'lost', 'refP', 'clP',   'lost', 'repl', 'reo', '-',  '-', '-', '-', '-', '-'],
  ['declining/clicked',           '->>>>>>>>', 'x',   'x',   '-', 'ret', 'ret',  'ebaP', 'lost', 'refP', 'clP',   'lost', 'repl', 'reo', '-',  '-', '-', '-', '-', '-'],
  ['inLobby/reported',            '-->>>>>>>', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    'clP',   'lost', 'repl', '-',   '-',  '-', '-', '-', '-', '-'],
  ['connected/reported',          '--->>>>>>', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', 'left', 'rem', 'idle'],
  ['declined/reported',           '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['cancelledBySender/reported',  '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['missed/reported',             '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['answeredElsewhere/reported',  '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['denied/reported',             '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['failed/reported',             '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['failed/actionRefused',        '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['failed/connectionLost',       '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['ended/endedBeforeAnswer',     '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['ended/applicationLost',       '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['ended/applicationReplaced',   '---------', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     '-',    '-',    '-',   '-',  '-', '-', '-', '-', '-'],
  ['conversationEnded/leftByUser',   '---------', 'x', 'x', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-'],
  ['conversationEnded/endedByRemote','---------', 'x', 'x', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-'],
  ['conversationEnded/idleLeft',     '---------', 'x', 'x', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-'],
  // Provisional: every outcome the pool reports overrules them, a non-terminal one (inLobby, connected) included.
  ['failed/actionRefused/P',      '->>>>>>>>', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     'settle', 'settle', '-', '-', '-', '-', '-', '-', '-'],
  ['failed/connectionLost/P',     '->>>>>>>>', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     'lost', 'repl', '-',   '-',  '-', '-', '-', '-', '-'],
  ['ended/endedBeforeAnswer/P',   '->>>>>>>>', 'x',   'x',   '-', '-',   '-',    '-',    '-',    '-',    '-',     'settle', 'settle', '-', '-', '-', '-', '-', '-', '-'],
];

function parseStatus(text: string): InvitationStatus {
  const [state, reason, p] = text.split('/');
  return { state: state as InvitationState, reason: reason as InvitationReason, provisional: p === 'P' };
}

const label = (s: InvitationStatus) => `${s.state}/${s.reason}${s.provisional ? '/P' : ''}`;

function expected(current: InvitationStatus, cell: string): ReturnType<typeof decide> {
  if (cell === '-') return { kind: 'stay' };
  if (cell === 'x') return { kind: 'refuse' };
  if (cell === 'settle') return { kind: 'move', to: { ...current, provisional: false } };
  const to = TARGETS[cell];
  assert.ok(to, `unknown cell ${cell}`);
  return { kind: 'move', to };
}

/** The decision without the pool's words (checked on their own below). */
function decided(current: InvitationStatus, input: InvitationInput): ReturnType<typeof decide> {
  const d = decide(current, input);
  return d.kind === 'move' ? { kind: 'move', to: d.to } : d;
}

describe('invitation state machine', () => {
  it('the table names every status the card can show, and only those', () => {
    const shown = INVITATION_STATES.flatMap((state) => SHOWN_REASONS[state].map((reason) => `${state}/${reason}`));
    const rows = TABLE.map(([s]) => s);
    assert.deepEqual(rows.filter((r) => !r.endsWith('/P')).sort(), [...shown].sort());
    for (const row of rows) assert.ok(shown.includes(row.replace(/\/P$/, '')), row);
    for (const reason of INVITATION_REASONS) assert.ok(shown.some((s) => s.endsWith(`/${reason}`)), `${reason} is shown somewhere`);
  });

  for (const [statusText, events, ...cells] of TABLE) {
    const current = parseStatus(statusText);
    it(`${statusText}: every input`, () => {
      EVENT_STATES.forEach((state, i) => {
        const want = events[i] === '>' ? { kind: 'move', to: { state, reason: 'reported', provisional: false } } : { kind: 'stay' };
        assert.deepEqual(decided(current, { kind: 'event', state }), want, `${statusText} + event ${state}`);
      });
      assert.equal(cells.length, INPUTS.length);
      INPUTS.forEach(([what, input], i) => assert.deepEqual(decided(current, input), expected(current, cells[i]), `${statusText} + ${what}`));
    });
  }

  it("the pool's words go with the state they were said about", () => {
    const cancelled = { code: 'Failure', subcode: 'Canceled', message: 'The organizer cancelled.' };
    const pending = parseStatus('pending/reported');
    assert.deepEqual(decide(pending, { kind: 'event', state: 'cancelledBySender', serverReason: cancelled }), { kind: 'move', to: parseStatus('cancelledBySender/reported'), serverReason: cancelled });
    // Re-worded without a move: the same state reported again with words.
    assert.deepEqual(decide(pending, { kind: 'event', state: 'pending', serverReason: cancelled }), { kind: 'move', to: pending, serverReason: cancelled });
    const refused = decide(parseStatus('accepting/clicked'), { kind: 'clickOutcome', outcome: 'refused', serverReason: cancelled });
    assert.deepEqual(refused, { kind: 'move', to: parseStatus('failed/actionRefused/P'), serverReason: cancelled });

    const withWords: InvitationRecord = { ...cardRecord({ state: 'failed', reason: 'connectionLost', provisional: true, outcomeReason: { message: 'old words' } }) };
    const joined = step(withWords, { kind: 'event', state: 'connected' });
    assert.equal(joined.record.state, 'connected');
    assert.equal(joined.record.outcomeReason, undefined, 'no stale words once the state moved');
    assert.equal(joined.record.provisional, undefined);
  });

  it('a reopened click gets the links the pool still offers', () => {
    const acting = cardRecord({ state: 'accepting', reason: 'clicked', actions: { accept: '/old/accept', decline: '/old/decline' } });
    const s = step(acting, { kind: 'recovered', finding: 'stillOffered', actions: { accept: '/new/accept', decline: undefined } });
    assert.deepEqual(s.record.actions, { accept: '/new/accept', decline: '/old/decline' });
    assert.equal(s.record.state, 'pending');
    assert.ok(s.redraw, 'the buttons come back');
  });
});

// ------------------------------------------------------------------------------------------------ properties

/** An input of any kind, events with a changed fact now and then (a subject, a message) as real events carry. */
type Applied = { input: InvitationInput; subject?: string };

const serverReasonArb = fc.option(fc.record({ code: fc.constantFrom('Failure', 'ServiceFailure'), subcode: fc.constantFrom('Canceled', 'Timeout', 'Denied'), message: fc.constantFrom('one', 'two') }), { nil: undefined });
const inputArb: fc.Arbitrary<Applied> = fc.oneof(
  fc.record({ input: fc.record({ kind: fc.constant('event' as const), state: fc.constantFrom(...EVENT_STATES), serverReason: serverReasonArb }), subject: fc.option(fc.constantFrom('Review', 'Sync'), { nil: undefined }) }),
  fc.record({ input: fc.constantFrom(...INPUTS.map(([, i]) => i)) }),
  fc.record({ input: fc.record({ kind: fc.constant('recovered' as const), finding: fc.constant('stillOffered' as const), actions: fc.constant({ accept: '/again/accept' }) }) }),
);

/** Applies an input as the store does: events through mergeInvitation (facts and state), the rest through step. */
function apply(record: InvitationRecord, { input, subject }: Applied): { record: InvitationRecord; redraw: boolean; changed: boolean } {
  if (input.kind !== 'event') return step(record, input);
  return mergeInvitation(record, upsertInput({ state: input.state, outcomeReason: input.serverReason, subject: subject ?? record.subject }), record.updatedAt);
}

const CARD_OPTIONS = { canAccept: true, timeZone: 'UTC' };

describe('invitation state machine: properties', () => {
  it('no sequence of inputs ends in a status the card cannot show', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_STATES), fc.array(inputArb, { maxLength: 12 }), (first, inputs) => {
        let { record } = mergeInvitation(undefined, upsertInput({ state: first }), '2024-05-01T09:00:00.000Z');
        for (const input of inputs) {
          record = apply(record, input).record;
          const status = { state: record.state, reason: record.reason ?? 'reported' };
          assert.ok(SHOWN_REASONS[record.state].includes(status.reason), `${status.state}/${status.reason}`);
          if (record.provisional) assert.ok(['failed/actionRefused', 'failed/connectionLost', 'ended/endedBeforeAnswer'].includes(`${status.state}/${status.reason}`), `provisional ${status.state}/${status.reason}`);
          const shown = cardStatusOf(record, 'Bob');
          assert.notEqual(shown.title, 'Unknown state');
          assert.equal(shown.title === '', record.state === 'pending', `a title for ${record.state}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a card is redrawn exactly when what it shows changes, and every change the rendered card shows is redrawn', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_STATES), fc.array(inputArb, { maxLength: 12 }), (first, inputs) => {
        let { record } = mergeInvitation(undefined, upsertInput({ state: first }), '2024-05-01T09:00:00.000Z');
        for (const input of inputs) {
          const next = apply(record, input);
          const viewChanged = JSON.stringify(cardView(record)) !== JSON.stringify(cardView(next.record));
          assert.equal(next.redraw, viewChanged, `${label({ state: record.state, reason: record.reason ?? 'reported', provisional: !!record.provisional })} + ${JSON.stringify(input.input)}`);
          const rendered = (r: InvitationRecord) => JSON.stringify(invitationCardData(r, CARD_OPTIONS));
          if (rendered(record) !== rendered(next.record)) assert.ok(next.redraw, `the rendered card changed without a redraw: ${JSON.stringify(input.input)}`);
          if (next.redraw) assert.ok(next.changed, 'a redraw always comes with a stored change');
          record = next.record;
        }
      }),
      { numRuns: 500 },
    );
  });
});
