// Sends bytes to an HTTP server over a plain TCP socket, exactly as given and as slowly as asked: what a hostile or
// broken client does (trickled headers, a body that never ends, a body past any limit). Returns what came back.
import net from 'node:net';

// Captured at load time, so that fake timers in other tests cannot freeze these waits.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const pause = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

export interface SocketExchange {
  /** The response status, if a status line arrived. */
  status?: number;
  head: string;
  body: string;
  /** How many of the given parts were written before the server answered or closed. */
  partsWritten: number;
  /** The server closed (or reset) the connection. */
  closed: boolean;
}

export interface SendOptions {
  /** Wait between parts (a trickle). */
  gapMs?: number;
  /** Stop writing once a response has started (a client that reads while it sends). Default true. */
  stopOnResponse?: boolean;
  /** Give up after this long (real time) and report what arrived. Default 10 s. */
  timeoutMs?: number;
}

export function sendRaw(port: number, parts: Array<string | Buffer>, options: SendOptions = {}): Promise<SocketExchange> {
  const { gapMs = 0, stopOnResponse = true, timeoutMs = 10_000 } = options;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const result: SocketExchange = { head: '', body: '', partsWritten: 0, closed: false };
    let finished = false;
    const text = () => Buffer.concat(received).toString('latin1');
    const responseComplete = () => {
      const all = text();
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(all.slice(0, end));
      return length !== null && all.length - end - 4 >= Number(length[1]);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      realClearTimeout(timer);
      const all = text();
      const end = all.indexOf('\r\n\r\n');
      result.head = end < 0 ? all : all.slice(0, end);
      result.body = end < 0 ? '' : Buffer.from(all.slice(end + 4), 'latin1').toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(all);
      if (status) result.status = Number(status[1]);
      socket.destroy();
      resolve(result);
    };
    const timer = realSetTimeout(finish, timeoutMs);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (responseComplete()) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      result.closed = true;
      finish();
    });
    socket.once('connect', async () => {
      for (const part of parts) {
        if (finished || result.closed || socket.destroyed) break;
        if (stopOnResponse && received.length > 0) break;
        const flushed = socket.write(part);
        result.partsWritten++;
        if (!flushed) await new Promise((r) => socket.once('drain', r).once('close', r));
        if (gapMs) await pause(gapMs);
      }
    });
  });
}

/**
 * A request head. The connection stays open after the answer (no Connection: close): a server that closes while
 * unread request bytes remain would reset the connection, and the client could lose the answer it is waiting for.
 */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
