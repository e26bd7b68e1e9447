// A deliberately small HTTP client for tests over real sockets (node:http only). It returns exactly what came off
// the wire: status, every header (multi-line headers such as WWW-Authenticate kept as separate values), and the body
// text. It does no retries, no redirects and no parsing, so a test sees what a real client would have to handle.
import http from 'node:http';

// Captured at load time, so a test that installs sinon fake timers does not freeze this client's own deadline.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export interface RawResponse {
  status: number;
  /** Node's merged view (lower-case names; repeated headers joined or arrayed as Node does). */
  headers: http.IncomingHttpHeaders;
  /** Every header as the list of its values, one entry per header line, in arrival order. */
  headerLines: Record<string, string[]>;
  body: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Give up (reject) after this many real milliseconds; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class RawHttpError extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'incomplete' | 'timeout' | 'aborted',
  ) {
    super(message);
  }
}

export function rawRequest(url: string, options: RawRequest = {}): Promise<RawResponse> {
  const { method = 'GET', headers = {}, body, timeoutMs = 10_000, signal } = options;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: RawResponse) => {
      if (settled) return;
      settled = true;
      realClearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    const sendHeaders: Record<string, string> = { ...headers };
    if (body !== undefined) sendHeaders['Content-Length'] = String(Buffer.byteLength(body));
    // One connection per request: a parked P-GET, a reset and a normal call never share a socket.
    const req = http.request(url, { method, headers: sendHeaders, agent: false, signal });
    const timer = realSetTimeout(() => {
      finish(new RawHttpError(`no complete response within ${timeoutMs} ms: ${method} ${url}`, 'timeout'));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const kind = err.name === 'AbortError' ? 'aborted' : 'network';
      finish(new RawHttpError(`${method} ${url}: ${err.code ?? err.name}: ${err.message}`, kind));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) =>
        finish(new RawHttpError(`${method} ${url}: response broken: ${err.code ?? ''} ${err.message}`, 'incomplete')),
      );
      res.on('aborted', () => finish(new RawHttpError(`${method} ${url}: response aborted`, 'incomplete')));
      res.on('close', () => {
        if (!res.complete) finish(new RawHttpError(`${method} ${url}: connection closed before the body was complete`, 'incomplete'));
      });
      res.on('end', () => {
        if (!res.complete) return;
        const headerLines: Record<string, string[]> = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i].toLowerCase();
          (headerLines[name] ??= []).push(res.rawHeaders[i + 1]);
        }
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, headerLines, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The single value of a header; fails loudly if it came more than once or not at all. */
export function oneHeader(res: RawResponse, name: string): string {
  const values = res.headerLines[name.toLowerCase()] ?? [];
  if (values.length !== 1) throw new Error(`expected exactly one ${name} header, got ${values.length}: ${JSON.stringify(values)}`);
  return values[0];
}
