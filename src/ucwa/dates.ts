// UCWA dates: JSON uses the ASP.NET AJAX form "/Date(<ms since epoch>[+-hhmm])/" (sometimes still escaped as
// "\/Date(...)\/"), XML uses ISO 8601. The ASP.NET number is already UTC; the optional offset only names the
// sender's time zone, so it does not move the instant.

const ASPNET_DATE = /^\\?\/Date\((-?\d+)([+-]\d{4})?\)\\?\/$/;
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/** A Date for a UCWA date string in either form, or undefined for anything else (never an Invalid Date). */
export function parseUcwaDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return parseAspNetDate(text) ?? parseIsoDate(text);
}

function parseAspNetDate(text: string): Date | undefined {
  const match = ASPNET_DATE.exec(text);
  if (!match) return undefined;
  return validDate(Number(match[1]));
}

function parseIsoDate(text: string): Date | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  // .NET writes up to 7 fractional digits; milliseconds keep the first three.
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (hour > 23 || minute > 59 || second > 59) return undefined;

  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(utc);
  // Date.UTC rolls 2014-02-30 over to March; reject instead of guessing.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  // No zone designator: UCWA servers write UTC ("Z"); a missing one is read as UTC rather than host-local time.
  const offsetMinutes = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  return validDate(utc - offsetMinutes * 60_000);
}

function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
