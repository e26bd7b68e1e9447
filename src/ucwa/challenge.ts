// Parses WWW-Authenticate challenges (RFC 7235). UCWA sends a Bearer and an MsRtcOAuth challenge, either as two
// header lines or as one comma-joined line in which a quoted grant_type also contains commas, so commas can only be
// told apart by a quote-aware scanner.

export interface AuthChallenge {
  /** The scheme as sent; compare case-insensitively. */
  scheme: string;
  /** Parameter names lower-cased (they are case-insensitive); values unquoted and unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge carries one instead of parameters. */
  token68?: string;
}

export interface MsRtcOAuthChallenge {
  /** The WebTicket token endpoint. */
  href: string;
  /** e.g. `password`, `urn:microsoft.rtc:windows`, `urn:microsoft.rtc:anonmeeting`. */
  grantTypes: string[];
}

/** All challenges of one or more WWW-Authenticate header values, in order. Never throws. */
export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const lines = Array.isArray(header) ? header : [header];
  return lines.flatMap((line) => parseLine(line));
}

/** The MsRtcOAuth challenge (WebTicket endpoint and offered grant types), if one with an href is present. */
export function findMsRtcOAuth(challenges: AuthChallenge[]): MsRtcOAuthChallenge | undefined {
  const found = challenges.find((c) => c.scheme.toLowerCase() === 'msrtcoauth' && c.params.href);
  if (!found) return undefined;
  const grantTypes = (found.params.grant_type ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
  return { href: found.params.href, grantTypes };
}

const WHITESPACE = /[ \t\r\n]/;
// A token ends at whitespace, a list comma, '=' or a quote.
const TOKEN_END = /[ \t\r\n,="]/;

function parseLine(line: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  // Whether a list comma came since the last item: a bare token directly after a scheme is a token68.
  let afterComma = true;
  let i = 0;

  while (i < line.length) {
    i = skipWhitespace(line, i);
    if (i >= line.length) break;
    if (line[i] === ',') {
      i++;
      afterComma = true;
      continue;
    }
    const nameEnd = scanToken(line, i);
    if (nameEnd === i) {
      // A stray '=' or quote: skip to the next list comma rather than fail the whole header.
      i = skipToComma(line, i);
      continue;
    }
    const name = line.slice(i, nameEnd);
    const afterName = skipWhitespace(line, nameEnd);
    const firstItem = current !== undefined && !afterComma && Object.keys(current.params).length === 0;

    if (line[afterName] === '=') {
      const token68End = scanToken68Padding(line, afterName);
      if (current && firstItem && current.token68 === undefined && token68End !== undefined) {
        current.token68 = line.slice(i, token68End.padEnd);
        i = token68End.next;
      } else {
        const value = readValue(line, skipWhitespace(line, afterName + 1));
        if (current) setParam(current, name, value.text);
        i = value.next;
      }
    } else if (current && firstItem && current.token68 === undefined) {
      current.token68 = name;
      i = nameEnd;
    } else {
      current = { scheme: name, params: {} };
      challenges.push(current);
      i = nameEnd;
    }
    afterComma = false;
  }
  return challenges;
}

function skipWhitespace(s: string, i: number): number {
  while (i < s.length && WHITESPACE.test(s[i])) i++;
  return i;
}

function scanToken(s: string, i: number): number {
  while (i < s.length && !TOKEN_END.test(s[i])) i++;
  return i;
}

function skipToComma(s: string, i: number): number {
  const comma = s.indexOf(',', i);
  return comma < 0 ? s.length : comma;
}

/** If the '=' run at `i` ends the item (end of line or a comma follows), it is token68 padding, not a parameter. */
function scanToken68Padding(s: string, i: number): { padEnd: number; next: number } | undefined {
  let j = i;
  while (s[j] === '=') j++;
  const next = skipWhitespace(s, j);
  return next >= s.length || s[next] === ',' ? { padEnd: j, next } : undefined;
}

function readValue(s: string, i: number): { text: string; next: number } {
  if (s[i] !== '"') {
    // Unquoted (token) value, e.g. href=https://host/WebTicket/oauthtoken.
    let j = i;
    while (j < s.length && s[j] !== ',' && !WHITESPACE.test(s[j])) j++;
    return { text: s.slice(i, j), next: j };
  }
  let text = '';
  let j = i + 1;
  while (j < s.length && s[j] !== '"') {
    // quoted-pair: a backslash escapes the next character.
    if (s[j] === '\\' && j + 1 < s.length) j++;
    text += s[j];
    j++;
  }
  // An unterminated quoted string runs to the end of the line.
  return { text, next: Math.min(j + 1, s.length) };
}

function setParam(challenge: AuthChallenge, name: string, value: string): void {
  const key = name.toLowerCase();
  // First occurrence wins; never write an inherited property name.
  if (key === '__proto__' || Object.prototype.hasOwnProperty.call(challenge.params, key)) return;
  challenge.params[key] = value;
}
