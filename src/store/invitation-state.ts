// The life of one invitation, in one place: every state it can be in, every input that can move it (an event of
// the pool, a click and what the pool answered to it, what reconciliation found, the loss of the UCWA application,
// the check of a click lost to a restart), the state and reason each input leads to, and whether the card must be
// drawn again. Pure: the store applies its answers, the watcher and the bot only say what happened.
import { isDeepStrictEqual } from 'node:util';
import { type InvitationActions, type InvitationRecord, type InvitationState, isTerminalState, type OutcomeReason } from './records';

/**
 * Why an invitation is in its state. A closed set: the card's words follow from state + reason.
 * - `reported`: the pool's events said so (their own words, if any, are in `outcomeReason`).
 * - `clicked`: the user pressed Accept/Decline; the pool's answer is awaited.
 * - `clickReturned`: the click could not be carried out (not offered from Teams, pool unreachable): answer again.
 * - `reopened`: a click cut off by a restart never reached the pool: answer again.
 * - `endedBeforeAnswer`: the pool refused the click because the invitation had already ended (provisional).
 * - `actionRefused`: the pool refused the click for another reason (provisional).
 * - `connectionLost`: reconciliation after a resync/resume no longer found the invitation's conversation (provisional).
 * - `applicationLost`: the UCWA application died: nothing about this invitation can arrive any more.
 * - `applicationReplaced`: a new UCWA application replaced the one the invitation arrived on.
 * - `leftByUser`, `endedByRemote`, `idleLeft`: how an accepted conversation ended (Leave, the other side, idle).
 */
export const INVITATION_REASONS = [
  'reported',
  'clicked',
  'clickReturned',
  'reopened',
  'endedBeforeAnswer',
  'actionRefused',
  'connectionLost',
  'applicationLost',
  'applicationReplaced',
  'leftByUser',
  'endedByRemote',
  'idleLeft',
] as const;
export type InvitationReason = (typeof INVITATION_REASONS)[number];

/** States a UCWA event can report (started/updated: pending; lobby: inLobby; completed: the outcome). */
export type ReportedState = Exclude<InvitationState, 'accepting' | 'declining' | 'ended' | 'conversationEnded'>;

/** What the pool answered to a click (see AccountWatcher.perform). */
export type ClickOutcome =
  /** The pool took the action: its events will say how it ended. */
  | 'ok'
  /** Not possible from Teams (no link, no phone number to ring, a link outside the pool). */
  | 'notOffered'
  /** The pool could not be reached. */
  | 'notConnected'
  /** Refused because the invitation had ended (404/409/410 on the invitation). */
  | 'invitationEnded'
  /** Refused because the UCWA application is gone (410, ApplicationNotFound). */
  | 'applicationGone'
  /** Refused for another reason (the pool's own words travel as `serverReason`). */
  | 'refused';

/** What the pool said about an invitation whose click a restart may have cut off. */
export type RecoveryFinding = 'stillOffered' | 'movedOn' | 'gone' | 'unusable';

export type InvitationInput =
  | { kind: 'event'; state: ReportedState; serverReason?: OutcomeReason }
  | { kind: 'click'; verb: 'accept' | 'decline' }
  | { kind: 'clickOutcome'; outcome: ClickOutcome; serverReason?: OutcomeReason }
  /** Reconciliation after a resync/resume found the invitation's conversation gone. */
  | { kind: 'conversationGone' }
  /** The UCWA application died, or a new one replaced it: nothing more can arrive for the invitation. */
  | { kind: 'orphaned'; cause: 'applicationLost' | 'applicationReplaced' }
  /** The accepted conversation ended: the user left, the other side left (or the pool ended it), or it sat idle. */
  | { kind: 'conversationEnded'; by: 'user' | 'remote' | 'idle' }
  /** A click cut off by a restart, checked with the pool; `actions` are the links it still offers. */
  | { kind: 'recovered'; finding: RecoveryFinding; actions?: InvitationActions };

/** The part of a record the machine decides. `provisional`: a later event of the pool may overrule it. */
export interface InvitationStatus {
  state: InvitationState;
  reason: InvitationReason;
  provisional: boolean;
}

export type Decision =
  /** The input moves the invitation (possibly only settling or re-wording it). */
  | { kind: 'move'; to: InvitationStatus; serverReason?: OutcomeReason }
  /** The input does not apply here; nothing changes (e.g. an old event re-delivered). */
  | { kind: 'stay' }
  /** A click that lost: the invitation is no longer pending (another click, another instance, an event won). */
  | { kind: 'refuse' };

/** Still waiting for an answer or for the pool: what a lost connection or application leaves unanswerable. */
const OPEN_STATES: readonly InvitationState[] = ['pending', 'accepting', 'declining', 'inLobby'];

/** How far along an invitation is; events move it forward only, so a re-delivered `started` never undoes a click. */
const PROGRESS: Record<InvitationState, number> = {
  pending: 0,
  accepting: 1,
  declining: 1,
  inLobby: 2,
  connected: 3,
  declined: 4,
  cancelledBySender: 4,
  missed: 4,
  answeredElsewhere: 4,
  denied: 4,
  failed: 4,
  ended: 4,
  conversationEnded: 5,
};

/** The reasons the card can show for each state; any other pair is a bug. */
export const SHOWN_REASONS: Readonly<Record<InvitationState, readonly InvitationReason[]>> = {
  pending: ['reported', 'clickReturned', 'reopened'],
  accepting: ['clicked'],
  declining: ['clicked'],
  inLobby: ['reported'],
  connected: ['reported'],
  declined: ['reported'],
  cancelledBySender: ['reported'],
  missed: ['reported'],
  answeredElsewhere: ['reported'],
  denied: ['reported'],
  failed: ['reported', 'actionRefused', 'connectionLost'],
  ended: ['endedBeforeAnswer', 'applicationLost', 'applicationReplaced'],
  conversationEnded: ['leftByUser', 'endedByRemote', 'idleLeft'],
};

export function isOpenState(state: InvitationState): boolean {
  return OPEN_STATES.includes(state);
}

/** The machine's view of a record. Records without a reason predate it or come from the pool: `reported`. */
export function statusOf(record: Pick<InvitationRecord, 'state' | 'reason' | 'provisional'>): InvitationStatus {
  const reason = record.reason ?? (record.state === 'accepting' || record.state === 'declining' ? 'clicked' : 'reported');
  return { state: record.state, reason, provisional: record.provisional === true };
}

/** Nothing can change the invitation any more: a final outcome that no event may overrule. */
export function isSettled(record: Pick<InvitationRecord, 'state' | 'provisional'>): boolean {
  return isTerminalState(record.state) && record.provisional !== true;
}

const move = (state: InvitationState, reason: InvitationReason, provisional = false, serverReason?: OutcomeReason): Decision => ({
  kind: 'move',
  to: { state, reason, provisional },
  serverReason,
});
const STAY: Decision = { kind: 'stay' };

/** The next status of an invitation in `current` after `input`. */
export function decide(current: InvitationStatus, input: InvitationInput): Decision {
  const { state } = current;
  const open = isOpenState(state);
  const acting = state === 'accepting' || state === 'declining';
  switch (input.kind) {
    case 'event':
      // A provisional outcome was the bot's guess: any outcome the pool reports overrules it, joined or in the lobby
      // included. A `started`/`updated` (pending) says nothing about how it ended, so the guess stands.
      if (current.provisional) return input.state === 'pending' ? STAY : move(input.state, 'reported', false, input.serverReason);
      if (isTerminalState(state)) return STAY;
      if (input.state === state) return input.serverReason ? move(state, current.reason, false, input.serverReason) : STAY;
      return PROGRESS[input.state] > PROGRESS[state] ? move(input.state, 'reported', false, input.serverReason) : STAY;
    case 'click':
      if (state !== 'pending') return { kind: 'refuse' };
      return move(input.verb === 'accept' ? 'accepting' : 'declining', 'clicked');
    case 'clickOutcome':
      // Only the click's own state: an event that arrived meanwhile knows better.
      if (!acting) return STAY;
      switch (input.outcome) {
        case 'ok':
          return STAY;
        case 'notOffered':
        case 'notConnected':
          return move('pending', 'clickReturned');
        case 'invitationEnded':
          // Its completed event (e.g. the sender cancelled) is usually a moment behind and will say how.
          return move('ended', 'endedBeforeAnswer', true);
        case 'applicationGone':
          return move('ended', 'applicationLost');
        case 'refused':
          return move('failed', 'actionRefused', true, input.serverReason);
      }
      break;
    case 'conversationGone':
      // The server may still deliver the real outcome (a resync re-delivers what was not acknowledged).
      return open ? move('failed', 'connectionLost', true) : STAY;
    case 'orphaned':
      if (open) return move('ended', input.cause);
      if (!current.provisional) return STAY;
      // Nothing can overrule a guess any more: it becomes final. A lost connection is now a lost application.
      return current.reason === 'connectionLost' ? move('ended', input.cause) : move(state, current.reason);
    case 'conversationEnded':
      // Only a conversation that is going on can end; a re-delivered end finds it ended already.
      if (state !== 'connected') return STAY;
      return move('conversationEnded', input.by === 'user' ? 'leftByUser' : input.by === 'remote' ? 'endedByRemote' : 'idleLeft');
    case 'recovered':
      return acting && input.finding === 'stillOffered' ? move('pending', 'reopened') : STAY;
  }
  return STAY;
}

export interface Step {
  /** The record after the input (the same object when nothing changed). */
  record: InvitationRecord;
  /** The stored record must be written. */
  changed: boolean;
  /** The card must be drawn again: what it shows changed. */
  redraw: boolean;
  /** A click that lost (see Decision `refuse`). */
  refused: boolean;
}

/**
 * Applies `input` to a stored record: the decided status, the pool's words for it, and the links a reopened click
 * may use again. Does not stamp updatedAt/version (the store does, when it writes).
 */
export function step(record: InvitationRecord, input: InvitationInput): Step {
  const decision = decide(statusOf(record), input);
  if (decision.kind !== 'move') return { record, changed: false, redraw: false, refused: decision.kind === 'refuse' };
  const next = withStatus(record, decision.to, decision.serverReason);
  if (input.kind === 'recovered' && input.actions) next.actions = { ...record.actions, ...definedLinks(input.actions) };
  return compare(record, next);
}

/** The record carrying `status`; the pool's words belong to the state they were said about. */
export function withStatus(record: InvitationRecord, status: InvitationStatus, serverReason?: OutcomeReason): InvitationRecord {
  const next: InvitationRecord = { ...record, state: status.state, reason: status.reason };
  if (status.provisional) next.provisional = true;
  else delete next.provisional;
  if (serverReason) next.outcomeReason = { ...serverReason };
  else if (status.state !== record.state) delete next.outcomeReason;
  return next;
}

/** Whether `next` differs from `before` as stored, and as shown. */
export function compare(before: InvitationRecord | undefined, next: InvitationRecord): Step {
  const changed = !before || !isDeepStrictEqual(json(before), json(next));
  const redraw = changed && (!before || !isDeepStrictEqual(cardView(before), cardView(next)));
  return { record: changed ? next : before, changed, redraw, refused: false };
}

/** States whose card shows a line of detail (the reason) under the title. */
const STATES_WITH_DETAIL: readonly InvitationState[] = ['declined', 'failed', 'ended', 'conversationEnded'];

/** Reasons the card words itself; for the others it shows what the pool said. */
export const OWN_WORDS: Partial<Record<InvitationReason, string>> = {
  endedBeforeAnswer: 'It ended before your answer reached Skype for Business.',
  connectionLost: 'The invitation ended while the Skype connection was interrupted.',
  applicationLost: 'The Skype connection was interrupted; this invitation can no longer be answered here.',
  applicationReplaced: 'The Skype connection was restarted; this invitation can no longer be answered here.',
  leftByUser: 'You left the conversation.',
  endedByRemote: 'The other side left the conversation.',
  idleLeft: 'Left after a while without messages.',
};

/**
 * What the invitation card shows of a record: the facts, the state, and the reason where the card words it. Two
 * records with equal views draw the same card, so a change that leaves the view alone needs no redraw.
 */
export function cardView(record: InvitationRecord): Record<string, unknown> {
  const status = statusOf(record);
  const detailShown = STATES_WITH_DETAIL.includes(status.state);
  const ownWords = OWN_WORDS[status.reason];
  return json({
    id: record.id,
    kind: record.kind,
    subject: record.subject,
    importance: record.importance,
    from: record.from,
    onBehalfOf: record.onBehalfOf,
    message: record.message,
    onlineMeetingUri: record.onlineMeetingUri,
    availableModalities: record.availableModalities,
    receivedAt: record.receivedAt,
    state: status.state,
    detail: detailShown ? (ownWords ?? record.outcomeReason ?? null) : null,
  });
}

function definedLinks(actions: InvitationActions): InvitationActions {
  return Object.fromEntries(Object.entries(actions).filter(([, href]) => href !== undefined)) as InvitationActions;
}

/** The JSON form (undefined properties dropped), which is what storage keeps and what comparisons must use. */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
