// Small helpers to read request bodies and write UCWA responses in the negotiated representation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { contentTypeOf, errorBody, EventsBody, Format, renderEvents, renderResource, SimReason, SimResource } from './representation';

const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class InputError extends Error {}

// Values stay strings exactly as sent (parseTagValue off: an endpointId "007" must not become 7). Entities are not
// expanded by the parser (no DOCTYPE entity expansion); the five predefined ones and character references are
// decoded below, as any XML reader must.
const xmlInput = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: false, parseTagValue: false, parseAttributeValue: false, isArray: (name) => name === 'property' || name === 'item' || name === 'propertyList' });

function xmlText(v: unknown): string {
  return String(v ?? '').replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[e];
  });
}

/**
 * UCWA inputs: a JSON object, or XML `<input><property name="x">v</property><propertyList name="y"><item>..</item>
 * </propertyList></input>`. Property names are returned as sent; callers look them up case-insensitively.
 */
export function parseInput(contentType: string | undefined, body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('xml')) {
    let doc: Record<string, unknown>;
    try {
      doc = xmlInput.parse(body, true) as Record<string, unknown>;
    } catch (err) {
      throw new InputError(`malformed XML: ${(err as Error).message}`);
    }
    const input = (doc.input ?? doc) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const p of (input.property as Array<Record<string, unknown>> | undefined) ?? []) out[xmlText(p['@name'])] = xmlText(p['#text']);
    for (const l of (input.propertyList as Array<Record<string, unknown>> | undefined) ?? []) {
      out[xmlText(l['@name'])] = ((l.item as unknown[] | undefined) ?? []).map(xmlText);
    }
    return out;
  }
  if (ct.includes('json') || ct === '') {
    try {
      const v = JSON.parse(body) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
      return v as Record<string, unknown>;
    } catch (err) {
      throw new InputError(`malformed JSON: ${(err as Error).message}`);
    }
  }
  throw new InputError(`unsupported content type ${ct}`);
}

/** Case-insensitive member lookup: UCWA accepts both `EndpointId` and `endpointId`. */
export function field(input: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(input)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function sendResource(res: ServerResponse, format: Format, status: number, r: SimResource, headers: Record<string, string | string[]> = {}): void {
  const body = renderResource(format, r);
  res.writeHead(status, { 'Content-Type': contentTypeOf(format), 'Cache-Control': 'no-cache', ...headers });
  res.end(body);
}

export function sendEvents(res: ServerResponse, format: Format, body: EventsBody): void {
  res.writeHead(200, { 'Content-Type': contentTypeOf(format), 'Cache-Control': 'no-cache' });
  res.end(renderEvents(format, body));
}

export function sendError(res: ServerResponse, format: Format, status: number, reason: SimReason, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentTypeOf(format), ...headers });
  res.end(errorBody(format, reason));
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

/** An IIS-style HTML page, as real servers send for 401 and proxies for 5xx. */
export function htmlPage(status: number, title: string): string {
  return `<!DOCTYPE html><html><head><title>${status} - ${title}</title></head><body><h1>Server Error</h1><h2>${status} - ${title}</h2></body></html>`;
}
