// What /api/messages accepts, checked in the order of cost: headers first (nothing read), then the body read with a
// byte cap, then JSON with a bounded nesting depth, then the shape of an activity. Each refusal carries the status
// the client gets, a stable reason for the log, and a short public message (never library text).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Activity } from 'botbuilder';

export interface Rejection {
  status: 400 | 401 | 405 | 413 | 415 | 500 | 503;
  reason: string;
  message: string;
}

export interface BodyLimits {
  /** Bytes of body accepted (after transfer decoding; no content encoding is accepted). */
  maxBytes: number;
  /** Nesting depth of arrays and objects accepted. */
  maxDepth: number;
}

/** Bot Framework activities are a few KB; 1 MB leaves room for large card payloads. */
export const DEFAULT_LIMITS: BodyLimits = { maxBytes: 1024 * 1024, maxDepth: 64 };

export const reject = (status: Rejection['status'], reason: string, message: string): Rejection => ({ status, reason, message });

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'reason' in value && 'status' in value && 'message' in value;
}

/** The checks that need no body: media type, content encoding, announced length. */
export function checkHeaders(headers: IncomingHttpHeaders, limits: BodyLimits): Rejection | undefined {
  if (!isJsonUtf8(headers['content-type'])) return reject(415, 'content-type', 'Content-Type must be application/json (UTF-8)');
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  // A compressed body could expand far past the cap; the Bot Framework never compresses what it sends.
  if (encoding && encoding !== 'identity') return reject(415, 'content-encoding', 'Content-Encoding is not supported');
  const length = headers['content-length'];
  if (length !== undefined && Number(length) > limits.maxBytes) return reject(413, 'too-large', 'the body is too large');
  return undefined;
}

/** `application/json`, optionally with `charset=utf-8`; any other charset is refused. */
export function isJsonUtf8(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const [name, raw = ''] = param.split('=', 2);
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = raw.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

/**
 * Reads the body into memory, at most `maxBytes`. Past the cap it stops keeping bytes at once and answers 413; the
 * rest of the request is then read and discarded (Node's request timeout ends a client that never stops), so the
 * 413 reaches the client instead of a reset connection.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | Rejection> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        chunks.length = 0;
        req.resume();
        resolve(reject(413, 'too-large', 'the body is too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      resolve(reject(400, 'body-aborted', 'the body could not be read'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

/** UTF-8 JSON whose top level is an object, nested at most `maxDepth` deep. */
export function parseJsonObject(body: Buffer, maxDepth: number): Record<string, unknown> | Rejection {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return reject(400, 'malformed-json', 'the body is not UTF-8');
  }
  // Counted before parsing: JSON.parse would accept any depth, and what later walks the object recursively would not.
  if (nestingExceeds(text, maxDepth)) return reject(400, 'too-deep', 'the JSON is nested too deeply');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject(400, 'malformed-json', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return reject(400, 'not-an-object', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Whether arrays/objects nest deeper than `limit` (one pass, no recursion; brackets inside strings do not count). */
export function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const hasId = (v: unknown): boolean => typeof v === 'object' && v !== null && isText((v as { id?: unknown }).id);
const optionalText = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

/**
 * The fields every Bot Framework activity carries and the bot relies on (who wrote, in which conversation, where to
 * answer); without them a turn fails deep inside the handlers. Their values are still untrusted.
 */
export function checkActivity(body: Record<string, unknown>): Activity | Rejection {
  const missing = (field: string) => reject(400, 'not-an-activity', `the activity has no valid ${field}`);
  if (!isText(body.type)) return missing('type');
  if (!isText(body.channelId)) return missing('channelId');
  if (!isText(body.serviceUrl) || !isHttpUrl(body.serviceUrl)) return missing('serviceUrl');
  if (!hasId(body.conversation)) return missing('conversation');
  if (!hasId(body.from)) return missing('from');
  if (!hasId(body.recipient)) return missing('recipient');
  for (const field of ['id', 'text', 'name', 'action', 'replyToId', 'locale', 'localTimezone'] as const) {
    if (!optionalText(body[field])) return missing(field);
  }
  return body as unknown as Activity;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
