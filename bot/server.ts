// The HTTP surface: Bot Framework messages, liveness and readiness, on Node's own HTTP server. Node enforces the
// connection limits (the whole request within `requestTimeoutMs`, headers within 16 KB) so a slow or oversized client
// cannot hold a socket; bot/http/ decides what /api/messages accepts.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../src/logger';
import { ActivityEndpoint, MessagesEndpoint, sendJson, TurnRunner } from './http/messages-endpoint';
import { RejectionLog } from './http/rejection-log';
import { BodyLimits, DEFAULT_LIMITS } from './http/request-guard';

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export interface ServerOptions {
  /** Headers and body must arrive within this time (default 15 s; Bot Framework requests take milliseconds). */
  requestTimeoutMs?: number;
  limits?: BodyLimits;
  /** Shared with the process's library-output routing, so both count against the same limits. */
  rejections?: RejectionLog;
}

/** Node's default header limit, stated so that it is a decision: larger headers are answered 431. */
const MAX_HEADER_BYTES = 16 * 1024;

export function createBotServer(adapter: ActivityEndpoint, bot: TurnRunner, readiness: () => Promise<Readiness>, log: Logger, options: ServerOptions = {}): http.Server {
  const requestTimeout = options.requestTimeoutMs ?? 15_000;
  const rejections = options.rejections ?? new RejectionLog(log);
  const messages = new MessagesEndpoint(adapter, bot, rejections, options.limits ?? DEFAULT_LIMITS);
  const server = http.createServer({
    requestTimeout,
    headersTimeout: requestTimeout,
    // How often Node looks for connections past those deadlines (its default, 30 s, would let them overstay).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
    maxHeaderSize: MAX_HEADER_BYTES,
  });

  const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void> = {
    '/api/messages': (req, res) => messages.handle(req, res),
    '/healthz': (req, res) => (isRead(req, res) ? sendJson(res, 200, { status: 'alive' }) : undefined),
    '/readyz': async (req, res) => {
      if (!isRead(req, res)) return;
      try {
        const r = await readiness();
        sendJson(res, r.ready ? 200 : 503, r);
      } catch (err) {
        log.warn('readiness check failed', { error: err as Error });
        sendJson(res, 503, { ready: false, checks: { readiness: 'error' } });
      }
    },
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const route = routes[(req.url ?? '/').split('?', 1)[0]];
    if (!route) return sendJson(res, 404, { error: 'not found' });
    Promise.resolve(route(req, res)).catch((err: Error) => {
      log.error('request handler failed', { error: err, path: req.url?.slice(0, 100) });
      sendJson(res, 500, { error: 'internal error' });
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, rejections));
  server.on('close', () => rejections.stop());
  return server;
}

function isRead(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.setHeader('Allow', 'GET, HEAD');
  sendJson(res, 405, { error: 'method not allowed' });
  return false;
}

/**
 * Requests Node refuses before any handler runs: headers over the limit (431), a request not complete in time (408),
 * anything that is not HTTP (400). Node's default answer, plus one rate-limited log line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, rejections: RejectionLog): void {
  // The client went away (possibly mid-body, after its refusal): nothing to answer, nothing worth a log line.
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'HPE_INVALID_EOF_STATE') return void socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason = status === 431 ? 'headers-too-large' : status === 408 ? 'request-timeout' : 'bad-http';
  rejections.record(reason, { status, code: err.code, remote: (socket as Duplex & { remoteAddress?: string }).remoteAddress });
  // As Node does by default: answer only if no response has started on this connection.
  const current = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}
