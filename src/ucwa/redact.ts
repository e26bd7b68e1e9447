// Masks secrets (tokens, passwords, credentials headers) in text and header objects before they reach a log line
// or an error message. Over-redaction is acceptable; a leaked token is not.

export const REDACTED = '[REDACTED]';

// Names whose values are secrets wherever they appear as a JSON member or a form / query field.
const SECRET_KEYS = ['access_token', 'refresh_token', 'id_token', 'client_secret', 'ms_rtc_renew', 'password'];
const KEY_ALTERNATION = SECRET_KEYS.join('|');

// "password": "..." (string with escapes) or an unquoted scalar.
const JSON_SECRET = new RegExp(`("[\\w-]*(?:${KEY_ALTERNATION})"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*"?|[^,}\\s]+)`, 'gi');
// password=... in a form body or query string: the value ends at '&', whitespace or a double quote.
const FORM_SECRET = new RegExp(`((?:${KEY_ALTERNATION})=)[^&\\s"]*`, 'gi');
// "Authorization": "..." as a JSON member (e.g. a serialized header object).
const JSON_AUTHORIZATION = /("(?:proxy-)?authorization"\s*:\s*)"(?:[^"\\]|\\.)*"?/gi;
// Authorization: <anything to the end of the line> (header dumps, HTTP traces).
const HEADER_AUTHORIZATION = /(\b(?:proxy-)?authorization\s*:\s*)[^\r\n]+/gi;
// "Bearer <token>" (cwt=..., eyJ... JWTs, any opaque token).
const BEARER_TOKEN = /\b(Bearer\s+)([A-Za-z0-9\-._~+/=%:]+)/gi;
// What a challenge parameter looks like right after "Bearer " (trusted_issuers="..."): not a credential.
const CHALLENGE_PARAM_NAME = /^[A-Za-z][\w-]*=$/;
// cwt=... (WebTicket) and the cwt_ucwa photo cookie, anywhere.
const CWT_TOKEN = /\b(cwt(?:_ucwa)?=)[A-Za-z0-9\-._~+/%]+=*/gi;

/** Returns `text` with every recognised secret replaced by `[REDACTED]`. */
export function redact(text: string): string {
  return text
    .replace(JSON_SECRET, `$1"${REDACTED}"`)
    .replace(JSON_AUTHORIZATION, `$1"${REDACTED}"`)
    .replace(HEADER_AUTHORIZATION, `$1${REDACTED}`)
    .replace(BEARER_TOKEN, redactBearer)
    .replace(FORM_SECRET, `$1${REDACTED}`)
    .replace(CWT_TOKEN, `$1${REDACTED}`);
}

/** Whether a field named `name` holds a secret wherever it appears (a JSON member, a log field, a header). */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_HEADERS.has(lower) || SECRET_KEYS.some((k) => lower.endsWith(k));
}

/**
 * A copy of a JSON-able value with every string redacted and every secret-named member masked. Redacting the
 * values before serialising keeps the result valid JSON: a pattern that runs "to the end of the line" (an
 * Authorization header quoted in an error message) ends with its string, not with the rest of a one-line document.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) && v !== undefined ? REDACTED : redactValue(v, depth + 1);
  return out;
}

function redactBearer(match: string, prefix: string, token: string, offset: number, whole: string): string {
  const next = whole.charAt(offset + match.length);
  return CHALLENGE_PARAM_NAME.test(token) && next === '"' ? match : `${prefix}${REDACTED}`;
}

export type HeaderValue = string | string[] | number | undefined;
export type HeaderInput = Headers | Record<string, HeaderValue>;

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization']);

/**
 * A copy of `headers` that is safe to log: credentials headers keep only their scheme, cookies keep only their
 * names (and Set-Cookie attributes), every other value goes through `redact`.
 */
export function redactHeaders(headers: HeaderInput): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headerEntries(headers)) {
    if (value === undefined || name === '__proto__') continue;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    const masked = values.map((v) => redactHeaderValue(name.toLowerCase(), v));
    out[name] = Array.isArray(value) ? masked : masked[0];
  }
  return out;
}

function headerEntries(headers: HeaderInput): Array<[string, HeaderValue]> {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    const entries: Array<[string, HeaderValue]> = [];
    headers.forEach((value, name) => entries.push([name, value]));
    return entries;
  }
  return Object.entries(headers as Record<string, HeaderValue>);
}

function redactHeaderValue(lowerName: string, value: string): string {
  if (CREDENTIAL_HEADERS.has(lowerName)) {
    // Keep the scheme ("Bearer") for diagnosis, never the credential.
    const scheme = /^\s*([A-Za-z][A-Za-z0-9\-_]*)\s+\S/.exec(value);
    return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  if (lowerName === 'cookie') {
    return value
      .split(';')
      .map((pair) => maskCookiePair(pair.trim()))
      .join('; ');
  }
  if (lowerName === 'set-cookie') {
    // Set-Cookie: only the first pair is the cookie; the rest are attributes (path, secure...).
    const [first, ...attributes] = value.split(';');
    return [maskCookiePair(first.trim()), ...attributes.map((a) => a.trim())].join('; ');
  }
  return redact(value);
}

function maskCookiePair(pair: string): string {
  const eq = pair.indexOf('=');
  return eq < 0 ? REDACTED : `${pair.slice(0, eq)}=${REDACTED}`;
}
