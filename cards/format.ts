// Words and times for the cards: kinds, networks, modalities, states of the connection, and dates.
import type { InvitationKind } from '../src/store/records';

export interface TimeOptions {
  /** The reference "now" (tests pass a fixed one). Default: the current time. */
  now?: Date;
  /** IANA time zone, e.g. Teams' `activity.localTimezone`. Default and fallback for unknown zones: UTC. */
  timeZone?: string;
}

const LOCALE = 'en-GB';

/**
 * Building an Intl formatter costs far more than using one (ICU loads the zone's rules), and every card formats
 * times: formatters are kept per time zone. The zones a runtime knows are a few hundred, but the names asked for
 * come from Teams activities, so the cache is cleared when it fills rather than grow without bound.
 */
class PerZone<T> {
  private readonly byZone = new Map<string, T>();

  constructor(
    private readonly build: (timeZone: string) => T,
    private readonly capacity = 1000,
  ) {}

  get(timeZone: string): T {
    let value = this.byZone.get(timeZone);
    if (value === undefined) {
      value = this.build(timeZone);
      if (this.byZone.size >= this.capacity) this.byZone.clear();
      this.byZone.set(timeZone, value);
    }
    return value;
  }
}

const resolvedZones = new PerZone<string>((timeZone) => {
  try {
    return new Intl.DateTimeFormat(LOCALE, { timeZone }).resolvedOptions().timeZone;
  } catch {
    return 'UTC';
  }
});

/** The zone to format in: the requested one when the runtime knows it, otherwise UTC. */
export function resolveTimeZone(timeZone: string | undefined): string {
  return timeZone ? resolvedZones.get(timeZone) : 'UTC';
}

function toDate(value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * "Tue 4 Mar, 14:05 UTC" (the year is added when it differs from now's year in that zone: "Tue 4 Mar 2025, 14:05
 * UTC"). Built from Intl parts so the punctuation does not depend on the ICU version. Undefined for a missing or
 * invalid time. Absolute on purpose: a posted card is read later, so "today" or "5 minutes ago" would go stale.
 */
export function formatDateTime(value: string | Date | undefined, options: TimeOptions = {}): string | undefined {
  const date = toDate(value);
  if (!date) return undefined;
  const timeZone = resolveTimeZone(options.timeZone);
  const parts = partsOf(date, timeZone);
  const nowYear = partsOf(options.now ?? new Date(), timeZone).year;
  const day = `${parts.weekday} ${parts.day} ${parts.month}${parts.year === nowYear ? '' : ` ${parts.year}`}`;
  return `${day}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

const RELATIVE_FORMAT = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", "yesterday", "in 2 hours" relative to now; for point-in-time answers such as the status card. */
export function formatRelative(value: string | Date | undefined, options: TimeOptions = {}): string | undefined {
  const date = toDate(value);
  if (!date) return undefined;
  const seconds = Math.round((date.getTime() - (options.now ?? new Date()).getTime()) / 1000);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  const format = RELATIVE_FORMAT;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? 'just now' : format.format(seconds, 'second');
}

interface DateParts {
  weekday: string;
  day: string;
  month: string;
  year: string;
  hour: string;
  minute: string;
  timeZoneName: string;
}

const dateFormatters = new PerZone(
  (timeZone) =>
    new Intl.DateTimeFormat(LOCALE, {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }),
);

function partsOf(date: Date, timeZone: string): DateParts {
  const formatter = dateFormatters.get(timeZone);
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(date)) parts[part.type] = part.value;
  return {
    weekday: parts.weekday ?? '',
    day: parts.day ?? '',
    month: parts.month ?? '',
    year: parts.year ?? '',
    hour: parts.hour ?? '',
    minute: parts.minute ?? '',
    timeZoneName: parts.timeZoneName ?? timeZone,
  };
}

/** The card header per kind of invitation. */
export const KIND_LABELS: Readonly<Record<InvitationKind, string>> = {
  onlineMeeting: 'Skype meeting invitation',
  messaging: 'Skype IM',
  audioVideo: 'Skype call',
};

export function kindLabel(kind: string): string {
  return (KIND_LABELS as Record<string, string>)[kind] ?? 'Skype invitation';
}

/**
 * How a sender outside the user's organisation is marked. SameEnterprise has no label. A missing or unrecognised
 * network is marked too: a card must not make an unverified sender look internal.
 */
export function networkLabel(sourceNetwork: string | undefined): string | undefined {
  switch (sourceNetwork) {
    case 'SameEnterprise':
      return undefined;
    case 'Federated':
      return 'External (federated)';
    case 'PublicCloud':
      return 'Public IM contact';
    case 'Everyone':
      return 'External (outside your organisation)';
    default:
      return 'Network unknown: may be external';
  }
}

const MODALITY_WORDS: Readonly<Record<string, string>> = {
  Messaging: 'instant messages',
  Audio: 'audio',
  PhoneAudio: 'phone audio',
  Video: 'video',
  PanoramicVideo: 'panoramic video',
  ApplicationSharing: 'screen sharing',
  DataCollaboration: 'content sharing',
};

/**
 * UCWA modality names in words, in a stable order, duplicates and unknown names dropped:
 * ["Messaging","Audio","Video","ApplicationSharing"] -> "Instant messages, audio, video and screen sharing".
 */
export function modalitiesInWords(modalities: readonly string[]): string {
  const order = Object.keys(MODALITY_WORDS);
  const words = [...new Set(modalities.filter((m) => m in MODALITY_WORDS))]
    .sort((a, b) => order.indexOf(a) - order.indexOf(b))
    .map((m) => MODALITY_WORDS[m]);
  if (words.length === 0) return '';
  const text = words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
