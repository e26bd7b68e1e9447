// Connects the bot to the card layer: which card for which moment, with the bot's knowledge of the account
// (can this invitation be accepted from Teams?) and of the mode (demo or not).
import {
  helpCardAttachment,
  invitationCardAttachment,
  kindLabel,
  safeName,
  safeSubject,
  statusCardAttachment,
  welcomeCardAttachment,
} from '../cards';
import type { InvitationRecord } from '../src/store';
import type { BotCards, StatusCardData } from './invitation-bot';

export interface BotCardOptions {
  authMode: 'password' | 'azure' | 'oauth';
  /** Calls can be accepted only by ringing a phone number configured for the account. */
  phoneNumberOf(accountId: string): string | undefined;
}

/** What the pool answers a late Accept/Decline with once the invitation has ended under us (UCWA code or status). */
const ENDED_BEFORE_THE_ANSWER = new Set(['NotFound', 'Conflict', 'Gone', '404', '409', '410']);

/**
 * The supervisor stores an Accept/Decline that the pool refused because the invitation had already ended as a
 * provisional 'failed' (so that the invitation's own completed event, usually a moment behind, can still say how it
 * ended). For the user that is "no longer available", not a failure: shown so until the real outcome arrives.
 */
function asShown(record: InvitationRecord): InvitationRecord {
  if (record.state !== 'failed' || !ENDED_BEFORE_THE_ANSWER.has(record.outcomeReason?.code ?? '')) return record;
  return { ...record, state: 'ended', outcomeReason: { ...record.outcomeReason, message: 'It ended before your answer reached Skype for Business.' } };
}

export function createBotCards(options: BotCardOptions): BotCards {
  return {
    invitation: (stored, { notice, timeZone, inviteeTeamsId } = {}) => {
      const record = asShown(stored);
      const call = record.kind === 'audioVideo';
      const phone = call ? options.phoneNumberOf(record.accountId) : undefined;
      return invitationCardAttachment(record, { canAccept: !call || !!phone, acceptLabel: call ? 'Answer on my phone' : undefined, notice, timeZone, inviteeTeamsId });
    },
    welcome: ({ linkedSip, demo }) => welcomeCardAttachment({ linkedSip, demo, authMode: options.authMode }),
    help: ({ linkedSip, demo }) => helpCardAttachment({ linkedSip, demo, authMode: options.authMode }),
    status: (data: StatusCardData) =>
      statusCardAttachment({
        linkedSip: data.linkedSip,
        state: data.state === 'paused' ? 'stopped' : data.state,
        lastEventAt: data.lastEventAt,
        lastError: data.lastError,
        openInvitations: data.openInvitations,
        storeRefusesWrites: data.storeRefusesWrites,
      }),
  };
}

/** The line Teams shows in the activity feed and notifications: plain, short, neutralised. */
export function invitationSummary(record: InvitationRecord): string {
  const who = safeName(record.from.name ?? record.from.uri ?? 'someone');
  const subject = record.subject ? `: ${safeSubject(record.subject)}` : '';
  const marker = record.importance === 'Normal' ? '' : `${record.importance.toUpperCase()} `;
  return `${marker}${kindLabel(record.kind)} from ${who}${subject}`.slice(0, 200);
}
