// Connects the bot to the card layer: which card for which moment, with what the store knows of the account (the
// phone number a call can be answered on, given in the view) and the mode (demo or not).
import {
  helpCardAttachment,
  invitationCardAttachment,
  replyChoiceCardAttachment,
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
}

export function createBotCards(options: BotCardOptions): BotCards {
  return {
    invitation: (record, { notice, timeZone, inviteeTeamsId, phoneNumber, draft } = {}) => {
      // A call can be accepted only by ringing the phone number stored for the account.
      const call = record.kind === 'audioVideo';
      return invitationCardAttachment(record, { canAccept: !call || !!phoneNumber, acceptLabel: call ? 'Answer on my phone' : undefined, notice, timeZone, inviteeTeamsId, draft });
    },
    welcome: ({ linkedSip, demo }) => welcomeCardAttachment({ linkedSip, demo, authMode: options.authMode }),
    help: ({ linkedSip, demo }) => helpCardAttachment({ linkedSip, demo, authMode: options.authMode }),
    replyChoice: (text, choices) => replyChoiceCardAttachment(text, choices),
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
