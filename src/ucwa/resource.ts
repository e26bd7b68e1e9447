// The HTTP-free parsing layer of the UCWA client: one normalized resource model for the JSON and XML
// representations, the event-channel body, and UCWA error bodies. Nothing here trusts the body: size is capped,
// DOCTYPEs are refused, HTML error pages and garbage become a typed UcwaParseError, unknown members are ignored.

import { XMLParser } from 'fast-xml-parser';
import { parseUcwaDate } from './dates';
import { redact } from './redact';

/** Bodies larger than this (UTF-8 bytes) are refused; real UCWA responses are a few KiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const EXCERPT_CHARS = 200;

// ---------------------------------------------------------------------------------------------------------------
// Model

export interface UcwaLink {
  rel: string;
  href: string;
  title?: string;
  revision?: number;
}

export interface UcwaResourceInit {
  rel: string;
  href?: string;
  properties?: Record<string, unknown>;
  links?: Map<string, UcwaLink[]>;
  embedded?: Map<string, UcwaResource[]>;
}

/**
 * One UCWA resource, the same whatever the wire format. `rel` is the resource's own type ('' when the body names
 * none), `href` its self link. XML property values stay strings; the typed getters read both forms.
 */
export class UcwaResource {
  readonly rel: string;
  readonly href: string | undefined;
  readonly properties: Record<string, unknown>;
  /** Every link by rel; a single-valued rel is a one-element list. Includes `self`. */
  readonly links: Map<string, UcwaLink[]>;
  /** Embedded resources by the rel they are embedded under (JSON `_embedded` key, XML `rel`). */
  readonly embedded: Map<string, UcwaResource[]>;

  constructor(init: UcwaResourceInit) {
    this.rel = init.rel;
    this.href = init.href;
    this.properties = init.properties ?? {};
    this.links = init.links ?? new Map();
    this.embedded = init.embedded ?? new Map();
  }

  link(rel: string): UcwaLink | undefined {
    return this.links.get(rel)?.[0];
  }

  linkHref(rel: string): string | undefined {
    return this.link(rel)?.href;
  }

  allLinks(rel: string): readonly UcwaLink[] {
    return this.links.get(rel) ?? [];
  }

  embeddedOne(rel: string): UcwaResource | undefined {
    return this.embedded.get(rel)?.[0];
  }

  embeddedAll(rel: string): readonly UcwaResource[] {
    return this.embedded.get(rel) ?? [];
  }

  string(name: string): string | undefined {
    const value = this.property(name);
    return typeof value === 'string' ? value : undefined;
  }

  /** JSON booleans, and the XML forms `True`/`False` (any case). */
  boolean(name: string): boolean | undefined {
    const value = this.property(name);
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string') return undefined;
    const lower = value.toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  }

  /** JSON numbers, and decimal strings (the XML form). */
  number(name: string): number | undefined {
    const value = this.property(name);
    if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
    return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
  }

  stringArray(name: string): string[] | undefined {
    const value = this.property(name);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...value] : undefined;
  }

  /** `/Date(ms)/` (JSON) or ISO 8601 (XML). */
  date(name: string): Date | undefined {
    return parseUcwaDate(this.property(name));
  }

  private property(name: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.properties, name) ? this.properties[name] : undefined;
  }
}

export interface UcwaReason {
  code: string;
  subcode?: string;
  message?: string;
}

export type UcwaEventType = 'added' | 'updated' | 'deleted' | 'started' | 'completed' | (string & {});

export interface UcwaEvent {
  type: UcwaEventType;
  /** The resource the event is about; its rel tells the resource type. */
  link: UcwaLink;
  /** The collection or resource the target was added to / removed from. */
  in?: UcwaLink;
  /** `Success` or `Failure` on completed operations. */
  status?: 'Success' | 'Failure' | (string & {});
  /** Why an operation failed or the server changed something. `code` is '' if the server sent none. */
  reason?: UcwaReason;
  /** The full resource when the server embedded it (always for invitations; often absent otherwise). */
  embedded?: UcwaResource;
}

export interface UcwaSender {
  rel: string;
  href?: string;
  events: UcwaEvent[];
}

export interface UcwaEventLinks {
  self?: string;
  next?: string;
  resync?: string;
  resume?: string;
}

export interface UcwaEventsBody {
  links: UcwaEventLinks;
  senders: UcwaSender[];
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and content types

export type UcwaParseErrorKind = 'too-large' | 'unsupported-content-type' | 'html' | 'malformed' | 'unexpected-shape';

/** A body that is not a usable UCWA representation. `excerpt` is redacted and short enough to log. */
export class UcwaParseError extends Error {
  override readonly name = 'UcwaParseError';

  constructor(
    readonly kind: UcwaParseErrorKind,
    detail: string,
    readonly contentType: string | undefined,
    readonly excerpt: string,
  ) {
    // The content type comes from the server: cap it like the excerpt.
    super(`UCWA body not parsed (${kind}): ${detail}; content type ${(contentType ?? '(none)').slice(0, 100)}`);
  }
}

export type UcwaFormat = 'json' | 'xml';

const JSON_TYPES = new Set(['application/json', 'application/vnd.microsoft.com.ucwa+json']);
// The misspelled form without ".com" appears in Microsoft's versioning page; accept it as well.
const XML_TYPES = new Set([
  'application/xml',
  'application/vnd.microsoft.com.ucwa+xml',
  'application/vnd.microsoft.ucwa+xml',
]);

/** Which UCWA representation a Content-Type header announces, if any. */
export function ucwaFormat(contentType: string | undefined): UcwaFormat | undefined {
  const type = mediaType(contentType);
  if (JSON_TYPES.has(type)) return 'json';
  if (XML_TYPES.has(type)) return 'xml';
  return undefined;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------------
// Public parse functions

/** A UCWA resource body (JSON object or XML `<resource>`). Throws UcwaParseError. */
export function parseRepresentation(body: string, contentType: string | undefined): UcwaResource {
  const doc = readDocument(body, contentType);
  if (doc.format === 'json') {
    if (!isRecord(doc.value)) throw shapeError('expected a JSON object', body, contentType);
    return resourceFromJson(doc.value, '');
  }
  if (doc.root.name !== 'resource') throw shapeError(`expected <resource>, got <${doc.root.name}>`, body, contentType);
  return resourceFromXml(doc.root, '');
}

/** An event-channel response. Throws UcwaParseError. */
export function parseEvents(body: string, contentType: string | undefined): UcwaEventsBody {
  const doc = readDocument(body, contentType);
  if (doc.format === 'json') {
    if (!isRecord(doc.value)) throw shapeError('expected a JSON object', body, contentType);
    return eventsFromJson(doc.value);
  }
  if (doc.root.name !== 'events') throw shapeError(`expected <events>, got <${doc.root.name}>`, body, contentType);
  return eventsFromXml(doc.root);
}

/**
 * The UCWA error (`{code, subcode, message}` JSON or `<reason>` XML) in a failed response's body; undefined for
 * anything else (HTML pages from IIS or proxies, token-endpoint errors, garbage). Never throws.
 */
export function parseUcwaError(body: string, contentType: string | undefined): UcwaReason | undefined {
  // An error body without a content type is still worth a look: sniff JSON or XML from the first character.
  const effectiveType = contentType ?? sniffContentType(body);
  let doc: ParsedBody;
  try {
    doc = readDocument(body, effectiveType);
  } catch {
    return undefined;
  }
  let reason: UcwaReason | undefined;
  if (doc.format === 'json') reason = isRecord(doc.value) ? reasonFromJson(doc.value) : undefined;
  else reason = doc.root.name === 'reason' ? reasonFromXml(doc.root) : undefined;
  return reason && reason.code ? reason : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a body into a JSON value or an XML tree

type ParsedBody = { format: 'json'; value: unknown } | { format: 'xml'; root: XmlElement };

const HTML_START = /^\s*(?:<!doctype\s+html|<html[\s>])/i;

function readDocument(body: string, contentType: string | undefined): ParsedBody {
  if (body.length > MAX_RESPONSE_BYTES || Buffer.byteLength(body, 'utf8') > MAX_RESPONSE_BYTES) {
    throw new UcwaParseError('too-large', `body exceeds ${MAX_RESPONSE_BYTES} bytes`, contentType, excerpt(body));
  }
  const format = ucwaFormat(contentType);
  const looksHtml = HTML_START.test(body);
  if (mediaType(contentType) === 'text/html' || looksHtml) {
    throw new UcwaParseError('html', 'an HTML page, not a UCWA representation', contentType, excerpt(body));
  }
  if (!format) {
    throw new UcwaParseError('unsupported-content-type', 'not a UCWA media type', contentType, excerpt(body));
  }
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  return format === 'json'
    ? { format, value: parseJsonText(text, contentType) }
    : { format, root: parseXmlText(text, contentType) };
}

function sniffContentType(body: string): string | undefined {
  const first = body.trimStart()[0];
  return first === '{' ? 'application/json' : first === '<' ? 'application/xml' : undefined;
}

function parseJsonText(text: string, contentType: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The engine's message quotes the input; the redacted excerpt is the only body text we pass on.
    throw new UcwaParseError('malformed', 'not valid JSON', contentType, excerpt(text));
  }
}

// Entity processing is off in the parser (no DOCTYPE entities, ever); the five predefined entities and numeric
// references are decoded by decodeXmlEntities below. Values are kept as written (no number/boolean guessing).
const XML_OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
} as const;

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

/** Text nodes are plain strings, already entity-decoded. */
type XmlNode = XmlElement | string;

function parseXmlText(text: string, contentType: string | undefined): XmlElement {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    // UCWA never sends a DTD; refusing it outright rules out entity-expansion attacks.
    const detail = 'DOCTYPE or ENTITY declarations are not accepted';
    throw new UcwaParseError('malformed', detail, contentType, excerpt(text));
  }
  let raw: unknown;
  try {
    raw = new XMLParser(XML_OPTIONS).parse(text, true);
  } catch {
    throw new UcwaParseError('malformed', 'not well-formed XML', contentType, excerpt(text));
  }
  const roots = toXmlNodes(raw).filter(isElement);
  if (roots.length !== 1) {
    throw new UcwaParseError('malformed', 'XML must have exactly one root element', contentType, excerpt(text));
  }
  if (roots[0].name.toLowerCase() === 'html') {
    throw new UcwaParseError('html', 'an HTML page, not a UCWA representation', contentType, excerpt(text));
  }
  return roots[0];
}

/** Converts fast-xml-parser's preserveOrder output into XmlNode trees. */
function toXmlNodes(raw: unknown): XmlNode[] {
  if (!Array.isArray(raw)) return [];
  const nodes: XmlNode[] = [];
  for (const entry of raw) {
    if (!isRecord(entry)) continue;
    for (const [key, value] of Object.entries(entry)) {
      if (key === ':@') continue;
      if (key === '#text') nodes.push(decodeXmlEntities(String(value)));
      // CDATA is literal: its text is not entity-decoded.
      else if (key === '#cdata') nodes.push(directText(value));
      else nodes.push({ name: key, attrs: toAttributes(entry[':@']), children: toXmlNodes(value) });
    }
  }
  return nodes;
}

function directText(raw: unknown): string {
  if (!Array.isArray(raw)) return '';
  return raw.map((entry) => (isRecord(entry) && '#text' in entry ? String(entry['#text']) : '')).join('');
}

function toAttributes(raw: unknown): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (!isRecord(raw)) return attrs;
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string' && name !== '__proto__') attrs[name] = decodeXmlEntities(value);
  }
  return attrs;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** One pass, so "&amp;lt;" becomes "&lt;", not "<". Unknown or invalid references stay as written. */
function decodeXmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return XML_ENTITIES[ref];
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : whole;
  });
}

function isElement(node: XmlNode): node is XmlElement {
  return typeof node !== 'string';
}

function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter(isElement).filter((child) => name === undefined || child.name === name);
}

function textOf(el: XmlElement): string {
  return el.children.filter((c): c is string => typeof c === 'string').join('');
}

// ---------------------------------------------------------------------------------------------------------------
// JSON mapping

// Real bodies embed one or two levels; the cap keeps a hostile body from exhausting the stack.
const MAX_EMBEDDING_DEPTH = 16;

function resourceFromJson(obj: Record<string, unknown>, fallbackRel: string, depth = 0): UcwaResource {
  const links = new Map<string, UcwaLink[]>();
  if (isRecord(obj._links)) {
    for (const [rel, value] of Object.entries(obj._links)) {
      for (const item of asArray(value)) {
        const link = linkFromJson(item, rel);
        if (link) addTo(links, rel, link);
      }
    }
  }
  const embedded = new Map<string, UcwaResource[]>();
  if (isRecord(obj._embedded) && depth < MAX_EMBEDDING_DEPTH) {
    for (const [rel, value] of Object.entries(obj._embedded)) {
      for (const item of asArray(value)) {
        if (isRecord(item)) addTo(embedded, rel, resourceFromJson(item, rel, depth + 1));
      }
    }
  }
  const properties: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(obj)) {
    // '_'-prefixed members are structure (or unknown extensions); 'rel' is the resource's type.
    if (name !== 'rel' && !name.startsWith('_')) properties[name] = value;
  }
  const rel = typeof obj.rel === 'string' ? obj.rel : fallbackRel;
  return new UcwaResource({ rel, href: links.get('self')?.[0]?.href, properties, links, embedded });
}

/** `{href, title?, revision?}`; `rel` from the `_links` key, or from the object itself for event links. */
function linkFromJson(value: unknown, rel?: string): UcwaLink | undefined {
  if (!isRecord(value) || typeof value.href !== 'string') return undefined;
  const link: UcwaLink = { rel: rel ?? (typeof value.rel === 'string' ? value.rel : ''), href: value.href };
  if (typeof value.title === 'string') link.title = value.title;
  const revision = toRevision(value.revision);
  if (revision !== undefined) link.revision = revision;
  return link;
}

function reasonFromJson(value: unknown): UcwaReason | undefined {
  if (!isRecord(value)) return undefined;
  return makeReason(optionalString(value.code), optionalString(value.subcode), optionalString(value.message));
}

function eventsFromJson(obj: Record<string, unknown>): UcwaEventsBody {
  const links: UcwaEventLinks = {};
  if (isRecord(obj._links)) {
    for (const rel of EVENT_LINK_RELS) {
      const href = asArray(obj._links[rel]).map((item) => linkFromJson(item, rel)?.href).find(Boolean);
      if (href) links[rel] = href;
    }
  }
  // `sender` may be absent or [] on a timeout; a lone object is tolerated as a one-element list.
  const senders = asArray(obj.sender)
    .filter(isRecord)
    .map((sender) =>
      makeSender(
        optionalString(sender.rel),
        optionalString(sender.href),
        asArray(sender.events).flatMap((e) => eventFromJson(e) ?? []),
      ),
    );
  return { links, senders };
}

function eventFromJson(value: unknown): UcwaEvent | undefined {
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  const link = linkFromJson(value.link);
  if (!link) return undefined;
  const event: UcwaEvent = { type: value.type, link };
  const inLink = linkFromJson(value.in);
  if (inLink) event.in = inLink;
  if (typeof value.status === 'string') event.status = value.status;
  const reason = reasonFromJson(value.reason);
  if (reason) event.reason = reason;
  const embedded = embeddedForEvent(value._embedded, link.rel);
  if (embedded) event.embedded = embedded;
  return event;
}

/** The embedded resource under the link's rel, else the first one present. */
function embeddedForEvent(value: unknown, rel: string): UcwaResource | undefined {
  if (!isRecord(value)) return undefined;
  const key = Object.prototype.hasOwnProperty.call(value, rel)
    ? rel
    : Object.keys(value).find((k) => isRecord(asArray(value[k])[0]));
  if (key === undefined) return undefined;
  const first = asArray(value[key])[0];
  return isRecord(first) ? resourceFromJson(first, key) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// XML mapping

function resourceFromXml(el: XmlElement, fallbackRel: string): UcwaResource {
  const links = new Map<string, UcwaLink[]>();
  const embedded = new Map<string, UcwaResource[]>();
  const properties: Record<string, unknown> = {};
  for (const child of childElements(el)) {
    const name = child.attrs.name;
    if (child.name === 'link') {
      const link = linkFromAttributes(child.attrs);
      if (link) addTo(links, link.rel, link);
    } else if (child.name === 'property' && name && name !== '__proto__') {
      properties[name] = textOf(child);
    } else if (child.name === 'propertyList' && name && name !== '__proto__') {
      properties[name] = childElements(child, 'item').map(textOf);
    } else if (child.name === 'resource') {
      const rel = child.attrs.rel ?? '';
      addTo(embedded, rel, resourceFromXml(child, rel));
    }
  }
  const href = el.attrs.href;
  // In XML the resource's own rel/href are its self link; expose it like JSON's _links.self.
  if (href !== undefined && !links.has('self')) links.set('self', [{ rel: 'self', href }]);
  return new UcwaResource({ rel: el.attrs.rel ?? fallbackRel, href, properties, links, embedded });
}

function linkFromAttributes(attrs: Record<string, string>): UcwaLink | undefined {
  if (attrs.href === undefined) return undefined;
  const link: UcwaLink = { rel: attrs.rel ?? '', href: attrs.href };
  if (attrs.title !== undefined) link.title = attrs.title;
  const revision = toRevision(attrs.revision);
  if (revision !== undefined) link.revision = revision;
  return link;
}

function reasonFromXml(el: XmlElement): UcwaReason | undefined {
  const field = (name: string): string | undefined => {
    const child = childElements(el, name)[0];
    return child ? textOf(child).trim() : undefined;
  };
  return makeReason(field('code'), field('subcode'), field('message'));
}

function eventsFromXml(root: XmlElement): UcwaEventsBody {
  const links: UcwaEventLinks = {};
  if (root.attrs.href) links.self = root.attrs.href;
  for (const child of childElements(root, 'link')) {
    const rel = child.attrs.rel as keyof UcwaEventLinks;
    if (EVENT_LINK_RELS.includes(rel) && child.attrs.href && !links[rel]) links[rel] = child.attrs.href;
  }
  const senders = childElements(root, 'sender').map((sender) =>
    makeSender(
      sender.attrs.rel,
      sender.attrs.href,
      childElements(sender).flatMap((e) => eventFromXml(e) ?? []),
    ),
  );
  return { links, senders };
}

// The element name is the event type. How `in`, `status` and `reason` are written in XML is not documented: accept
// `status` as an attribute or as <property name="status">, `in` and `reason` as child elements.
function eventFromXml(el: XmlElement): UcwaEvent | undefined {
  const link = linkFromAttributes(el.attrs);
  if (!link) return undefined;
  const event: UcwaEvent = { type: el.name, link };
  const inElement = childElements(el, 'in')[0];
  const inLink = inElement ? linkFromAttributes(inElement.attrs) : undefined;
  if (inLink) event.in = inLink;
  const statusProperty = childElements(el, 'property').find((p) => p.attrs.name === 'status');
  const status = el.attrs.status ?? (statusProperty ? textOf(statusProperty).trim() : undefined);
  if (status) event.status = status;
  const reasonElement = childElements(el, 'reason')[0];
  const reason = reasonElement ? reasonFromXml(reasonElement) : undefined;
  if (reason) event.reason = reason;
  const resource = childElements(el, 'resource')[0];
  if (resource) event.embedded = resourceFromXml(resource, link.rel);
  return event;
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const EVENT_LINK_RELS: Array<keyof UcwaEventLinks> = ['self', 'next', 'resync', 'resume'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toRevision(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** A reason needs at least one field; a missing code is '' (callers that need a code check for it). */
function makeReason(code?: string, subcode?: string, message?: string): UcwaReason | undefined {
  if (!code && !subcode && !message) return undefined;
  const reason: UcwaReason = { code: code ?? '' };
  if (subcode) reason.subcode = subcode;
  if (message) reason.message = message;
  return reason;
}

function addTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function makeSender(rel: string | undefined, href: string | undefined, events: UcwaEvent[]): UcwaSender {
  return href === undefined ? { rel: rel ?? '', events } : { rel: rel ?? '', href, events };
}

function shapeError(detail: string, body: string, contentType: string | undefined): UcwaParseError {
  return new UcwaParseError('unexpected-shape', detail, contentType, excerpt(body));
}

/** At most EXCERPT_CHARS of the body, secrets masked, control characters and runs of whitespace collapsed. */
function excerpt(body: string): string {
  const clean = redact(body.slice(0, EXCERPT_CHARS * 10))
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim();
  return clean.length > EXCERPT_CHARS ? `${clean.slice(0, EXCERPT_CHARS - 1)}…` : clean;
}
