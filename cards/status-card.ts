// The status card (the `status` command): the linked account, the connection, the last event, open invitations.
import type { Attachment } from 'botbuilder';
import type { InvitationKind, Party } from '../src/store/records';
import { cardAttachment } from './attachment';
import { formatDateTime, formatRelative, kindLabel, type TimeOptions } from './format';
import { defineTemplate, renderTemplate, type AdaptiveCardJson, type ContainerStyle } from './render';
import statusTemplateJson from './templates/status.json';
import { safeName, safeReason, safeSipAddress, safeSubject } from './text';

/** The watcher's account status, plus `notLinked` for a user without a Skype account. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'authFailed' | 'stopped' | 'notLinked';

export interface OpenInvitationSummary {
  kind: InvitationKind;
  subject?: string;
  /** The sender's display name, or the party itself (its name, else its address, is shown). */
  from?: string | Pick<Party, 'name' | 'uri'>;
}

export interface StatusCardOptions extends TimeOptions {
  linkedSip?: string;
  /** Undefined: notLinked when no account is linked, otherwise shown as unknown. */
  state?: ConnectionState;
  lastEventAt?: string | Date;
  /** Already redacted by the watcher; shown as untrusted text and capped. */
  lastError?: string;
  openInvitations: readonly OpenInvitationSummary[];
  /** The bot's store refuses writes: no invitation can be recorded (or shown) until it accepts them again. */
  storeRefusesWrites?: boolean;
}

export interface StatusCardData {
  asOf: string;
  store: { refusesWrites: boolean; title: string; detail: string };
  connection: { style: ContainerStyle; title: string; hasDetail: boolean; detail: string };
  account: string;
  lastEvent: string;
  hasLastError: boolean;
  lastError: string;
  invitationsTitle: string;
  invitations: Array<{ subject: string; detail: string }>;
  hasMoreInvitations: boolean;
  moreInvitations: string;
}

/** At most this many open invitations are listed; the rest are counted. */
export const MAX_LISTED_INVITATIONS = 10;

export const statusTemplate = defineTemplate<StatusCardData>('status', statusTemplateJson);

interface ConnectionText {
  style: ContainerStyle;
  title: string;
  detail: string;
}

const CONNECTION_TEXT: Readonly<Record<ConnectionState, ConnectionText>> = {
  connecting: { style: 'accent', title: 'Signing in to Skype for Business\u2026', detail: '' },
  connected: { style: 'good', title: 'Connected: watching for invitations', detail: '' },
  reconnecting: {
    style: 'warning',
    title: 'Reconnecting to Skype for Business\u2026',
    detail: 'The connection was interrupted; the bot is restoring it.',
  },
  authFailed: {
    style: 'attention',
    title: 'Sign-in to Skype for Business failed',
    detail: 'Invitations cannot arrive until the account can sign in again. Type connect to retry.',
  },
  stopped: { style: 'default', title: 'Not watching', detail: 'Type connect to start watching again.' },
  notLinked: {
    style: 'warning',
    title: 'No Skype for Business account is linked',
    detail: 'Type help to see how your account gets linked.',
  },
};

const STORE_REFUSES_WRITES = {
  title: 'The bot cannot save anything right now',
  detail: 'Invitations will appear here when its storage works again.',
};

/**
 * While the store refuses writes the watcher cannot note events, so it keeps reconnecting: the store is the cause,
 * and "the connection was interrupted" would send the user looking at Skype for Business.
 */
const RECONNECTING_FOR_STORE: ConnectionText = {
  style: 'warning',
  title: 'Waiting for the bot\'s storage',
  detail: 'Skype for Business keeps your invitations until the bot can save them again.',
};

function connectionText(state: ConnectionState | undefined, storeRefusesWrites: boolean): ConnectionText {
  if (!state) return { style: 'default', title: 'Connection state unknown', detail: '' };
  if (state === 'reconnecting' && storeRefusesWrites) return RECONNECTING_FOR_STORE;
  return CONNECTION_TEXT[state];
}

export function statusCardData(options: StatusCardOptions): StatusCardData {
  const account = safeSipAddress(options.linkedSip);
  const state: ConnectionState | undefined = options.state ?? (account ? undefined : 'notLinked');
  const connection = connectionText(state, options.storeRefusesWrites === true);
  const lastEventAbsolute = formatDateTime(options.lastEventAt, options);
  const lastEventRelative = formatRelative(options.lastEventAt, options);
  const lastError = safeReason(options.lastError);
  const open = options.openInvitations ?? [];
  const listed = open.slice(0, MAX_LISTED_INVITATIONS);
  const more = open.length - listed.length;
  return {
    asOf: `As of ${formatDateTime(options.now ?? new Date(), options) ?? ''}`,
    store: { refusesWrites: options.storeRefusesWrites === true, ...STORE_REFUSES_WRITES },
    connection: { ...connection, hasDetail: connection.detail !== '' },
    account: account || 'Not linked',
    lastEvent: lastEventAbsolute ? `${lastEventAbsolute} (${lastEventRelative})` : 'None yet',
    hasLastError: lastError !== '',
    lastError: lastError ? `Last error: ${lastError}` : '',
    invitationsTitle: open.length === 0 ? 'No open invitations' : `Open invitations (${open.length})`,
    invitations: listed.map((inv) => {
      const from = typeof inv.from === 'string' ? safeName(inv.from) : safeName(inv.from?.name) || safeSipAddress(inv.from?.uri);
      return {
        subject: safeSubject(inv.subject) || 'No subject',
        detail: from ? `${kindLabel(inv.kind)} from ${from}` : kindLabel(inv.kind),
      };
    }),
    hasMoreInvitations: more > 0,
    moreInvitations: more > 0 ? `and ${more} more` : '',
  };
}

export function renderStatusCard(options: StatusCardOptions): AdaptiveCardJson {
  return renderTemplate(statusTemplate, statusCardData(options));
}

export function statusCardAttachment(options: StatusCardOptions): Attachment {
  return cardAttachment(renderStatusCard(options));
}
