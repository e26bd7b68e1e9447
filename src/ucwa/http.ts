// The HTTP transport under the UCWA client: node:http/https with keep-alive agents that have no per-host socket cap
// (thousands of parked P-GETs go to one pool), an overall timeout per request that the caller sets longer than the
// P-GET hold, abort signals, and a cap on response size.
import http, { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { UcwaNetworkError } from './errors';
import { MAX_RESPONSE_BYTES } from './resource';

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange, headers and body, must finish within this. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The seam the client sends through; tests may wrap it, production uses NodeHttpTransport. */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
}

export class NodeHttpTransport implements HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

  constructor(private readonly maxResponseBytes = MAX_RESPONSE_BYTES) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    const { method, url } = request;
    const path = url.pathname;
    return new Promise((resolve, reject) => {
      // Already aborted (e.g. during an async token fetch): send nothing. Creating and destroying a request before
      // its 'error' listener exists would raise an uncaught "socket hang up".
      if (request.signal?.aborted) return reject(abortError());
      let settled = false;
      const fail = (code: string, detail: string) => {
        if (settled) return;
        settled = true;
        cleanup();
        req.destroy();
        reject(new UcwaNetworkError(method, path, code, detail));
      };
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, {
        method,
        headers: request.body !== undefined ? { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) } : request.headers,
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
      });
      req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'EREQUEST', err.message));
      const timer = setTimeout(() => fail('ETIMEDOUT', `no complete answer within ${request.timeoutMs} ms`), request.timeoutMs);
      const onAbort = () => {
        if (settled) return;
        settled = true;
        cleanup();
        req.destroy();
        reject(abortError());
      };
      const cleanup = () => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res) => {
        // Announced too large: refused before a byte of the body is read.
        const announced = Number(res.headers['content-length']);
        if (announced > this.maxResponseBytes) return fail('ETOOLARGE', `response of ${announced} bytes is larger than ${this.maxResponseBytes}`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxResponseBytes) return fail('ETOOLARGE', `response larger than ${this.maxResponseBytes} bytes`);
          chunks.push(c);
        });
        res.on('aborted', () => fail('ECONNRESET', 'the connection closed before the body was complete'));
        res.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'ERESPONSE', err.message));
        res.on('end', () => {
          if (settled) return;
          if (!res.complete) return fail('ECONNRESET', 'the connection closed before the body was complete');
          settled = true;
          cleanup();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(request.body);
    });
  }

  /** Closes idle keep-alive sockets (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function abortError(): Error {
  const err = new Error('the request was aborted');
  err.name = 'AbortError';
  return err;
}
