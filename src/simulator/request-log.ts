// What clients sent, for tests and for people debugging a client: a bounded ring of recent requests. No password or
// token is ever kept: the token endpoint's body is dropped (however its path is spelt), and everything else that is
// logged (path and query, Accept, Content-Type, body) is redacted first.

const REDACTED = '[REDACTED]';

/** Names of form fields, query parameters, JSON members and XML properties whose values are secrets. */
const SECRET_NAME = /pass(word|wd)?$|^pwd$|secret|token|assertion|authorization|^ms_rtc_renew$|^cwt$/i;

/** Values that look like credentials wherever they appear: auth schemes with their parameter, cwt tokens, JWTs. */
const SECRET_VALUES: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic|Negotiate|NTLM|Digest|MsRtcOAuth)(?:\s|%20|\+)+[^\s"'<>&,;]+/gi, `$1 ${REDACTED}`],
  [/\bcwt(?:=|%3D)(?!\[REDACTED\])[^\s"'<>&,;]+/gi, `cwt=${REDACTED}`],
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, REDACTED],
];

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Authorization-like values in any text (a header, a body, a query string). */
export function redactSecrets(text: string): string;
export function redactSecrets(text: string | undefined): string | undefined;
export function redactSecrets(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let out = text;
  for (const [re, by] of SECRET_VALUES) out = out.replace(re, by);
  return out;
}

/** `a=1&password=x` -> `a=1&password=[REDACTED]` (names compared decoded, so `pass%77ord` is caught too). */
function redactForm(text: string): string {
  return text
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      return SECRET_NAME.test(decodeName(pair.slice(0, eq)).trim()) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
}

/** A request path with its query string, secret parameters redacted. */
export function redactPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return redactSecrets(pathWithQuery);
  return redactSecrets(`${pathWithQuery.slice(0, q)}?${redactForm(pathWithQuery.slice(q + 1))}`);
}

/** A request body as it may be logged: form fields, JSON members and XML properties with secret names redacted. */
export function redactBody(body: string, contentType: string | undefined): string {
  if (body === '') return body;
  let out = body;
  const ct = (contentType ?? '').toLowerCase();
  // A form body, by its type or by its look (a client may send one with no or a wrong Content-Type).
  if (ct.includes('x-www-form-urlencoded') || /^[^\s={}<>[\]"]+=[^\s]*$/.test(body.trim())) out = redactForm(out);
  // JSON members with a string or scalar value (objects and arrays are entered, so nested members are seen too).
  out = out.replace(/("((?:[^"\\]|\\.)*)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,{}[\]"]+)/g, (m, head: string, name: string) => (SECRET_NAME.test(name) ? `${head}"${REDACTED}"` : m));
  out = out.replace(/(<property\b[^>]*\bname\s*=\s*["']([^"']*)["'][^>]*>)([\s\S]*?)(<\/property>)/gi, (m, open: string, name: string, _v: string, close: string) => (SECRET_NAME.test(name) ? `${open}${REDACTED}${close}` : m));
  return redactSecrets(out);
}

export interface LoggedRequest {
  seq: number;
  at: string;
  pool: string;
  method: string;
  /** Path with query string. */
  path: string;
  accept?: string;
  contentType?: string;
  /** Only the scheme of the Authorization header is kept, never the token. */
  auth: 'bearer' | 'other' | 'none';
  user?: string;
  /** Request body of UCWA calls, redacted (never the token endpoint's, which carries passwords). */
  body?: string;
  status?: number;
}

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity: number) {}

  add(entry: Omit<LoggedRequest, 'seq' | 'at'>): LoggedRequest {
    const e: LoggedRequest = { seq: ++this.seq, at: new Date().toISOString(), ...entry };
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.shift();
    return e;
  }

  query(filter: { path?: string; method?: string; user?: string; since?: number }): LoggedRequest[] {
    return this.entries.filter(
      (e) =>
        (!filter.path || e.path.includes(filter.path)) &&
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (!filter.user || e.user === filter.user.toLowerCase()) &&
        (filter.since === undefined || e.seq > filter.since),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
}
