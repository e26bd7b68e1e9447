// How the simulator writes resources, events and errors in the representation the client asked for: plain JSON,
// the UCWA vendor JSON type, or UCWA XML. Written independently of the product's client parser on purpose.

export const UCWA_NS = 'http://schemas.microsoft.com/rtc/2012/03/ucwa';

export type Format = 'json' | 'vnd-json' | 'xml';

export interface SimLink {
  href: string;
  title?: string;
}

export type PropValue = string | number | boolean | string[] | Date | undefined;

/** A resource as the server holds it; rendered as JSON (`_links`, `_embedded`) or XML (`<resource>`). */
export interface SimResource {
  rel: string;
  href: string;
  props?: Record<string, PropValue>;
  /** Multi-valued rels are arrays, single ones plain links (a given rel is always one or the other). */
  links?: Record<string, SimLink | SimLink[] | undefined>;
  embedded?: Record<string, SimResource | SimResource[] | undefined>;
}

export interface SimReason {
  code: string;
  subcode?: string;
  message?: string;
}

export interface SimEvent {
  type: 'added' | 'updated' | 'deleted' | 'started' | 'completed';
  link: { rel: string; href: string; title?: string };
  in?: { rel: string; href: string; title?: string };
  status?: 'Success' | 'Failure';
  reason?: SimReason;
  embedded?: SimResource;
}

export interface SimSender {
  rel: string;
  href: string;
  events: SimEvent[];
}

export interface EventsBody {
  href: string;
  links: { next?: string; resync?: string; resume?: string };
  senders: SimSender[];
}

/** Chooses the representation from the Accept header; JSON is the default, as on real servers. */
export function negotiate(accept: string | undefined): Format {
  const a = (accept ?? '').toLowerCase();
  if (/\bxml\b|\+xml/.test(a) && !/json/.test(a.split(/[;,]/)[0] ?? '')) return 'xml';
  if (a.includes('vnd.microsoft.com.ucwa+json')) return 'vnd-json';
  return 'json';
}

export function contentTypeOf(format: Format): string {
  switch (format) {
    case 'xml':
      return 'application/vnd.microsoft.com.ucwa+xml; charset=utf-8';
    case 'vnd-json':
      return 'application/vnd.microsoft.com.ucwa+json; charset=utf-8';
    default:
      return 'application/json; charset=utf-8';
  }
}

// ---------------------------------------------------------------------------------------------------------- JSON

function jsonValue(v: PropValue): unknown {
  // ASP.NET AJAX date form, as real servers send it.
  if (v instanceof Date) return `/Date(${v.getTime()})/`;
  return v;
}

function linkJson(l: SimLink): Record<string, string> {
  return l.title === undefined ? { href: l.href } : { href: l.href, title: l.title };
}

export function resourceToJson(r: SimResource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.props ?? {})) if (v !== undefined) out[k] = jsonValue(v);
  const links: Record<string, unknown> = { self: { href: r.href } };
  for (const [rel, l] of Object.entries(r.links ?? {})) {
    if (l === undefined) continue;
    links[rel] = Array.isArray(l) ? l.map(linkJson) : linkJson(l);
  }
  out._links = links;
  const embedded: Record<string, unknown> = {};
  for (const [rel, e] of Object.entries(r.embedded ?? {})) {
    if (e === undefined) continue;
    embedded[rel] = Array.isArray(e) ? e.map(resourceToJson) : resourceToJson(e);
  }
  if (Object.keys(embedded).length > 0) out._embedded = embedded;
  out.rel = r.rel;
  return out;
}

export function eventsToJson(body: EventsBody): Record<string, unknown> {
  const links: Record<string, { href: string }> = {};
  // A resync answer carries only the resync link: no self, no next, no events.
  if (!body.links.resync) links.self = { href: body.href };
  if (body.links.next) links.next = { href: body.links.next };
  if (body.links.resync) links.resync = { href: body.links.resync };
  if (body.links.resume) links.resume = { href: body.links.resume };
  const out: Record<string, unknown> = { _links: links };
  if (body.senders.length > 0) {
    out.sender = body.senders.map((s) => ({
      rel: s.rel,
      href: s.href,
      events: s.events.map((e) => {
        const ev: Record<string, unknown> = { link: { ...e.link } };
        if (e.in) ev.in = { ...e.in };
        if (e.status) ev.status = e.status;
        if (e.reason) ev.reason = { ...e.reason };
        if (e.embedded) ev._embedded = { [e.embedded.rel]: resourceToJson(e.embedded) };
        ev.type = e.type;
        return ev;
      }),
    }));
  }
  return out;
}

// ----------------------------------------------------------------------------------------------------------- XML

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function attrs(a: Record<string, string | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(v!)}"`)
    .join('');
}

function xmlScalar(v: string | number | boolean | Date): string {
  if (v instanceof Date) return v.toISOString();
  // Booleans are written True/False in UCWA XML.
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return xmlEscape(String(v));
}

function resourceToXmlInner(r: SimResource, withNs: boolean): string {
  let s = `<resource${attrs({ rel: r.rel, href: r.href, xmlns: withNs ? UCWA_NS : undefined })}>`;
  for (const [rel, l] of Object.entries(r.links ?? {})) {
    if (l === undefined) continue;
    for (const one of Array.isArray(l) ? l : [l]) s += `<link${attrs({ rel, href: one.href, title: one.title })}/>`;
  }
  for (const [name, v] of Object.entries(r.props ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      s += `<propertyList${attrs({ name })}>${v.map((i) => `<item>${xmlEscape(i)}</item>`).join('')}</propertyList>`;
    } else {
      s += `<property${attrs({ name })}>${xmlScalar(v)}</property>`;
    }
  }
  for (const e of Object.values(r.embedded ?? {})) {
    if (e === undefined) continue;
    for (const one of Array.isArray(e) ? e : [e]) s += resourceToXmlInner(one, false);
  }
  return `${s}</resource>`;
}

export function resourceToXml(r: SimResource): string {
  return `<?xml version="1.0" encoding="utf-8"?>${resourceToXmlInner(r, true)}`;
}

function reasonToXml(reason: SimReason, withNs: boolean): string {
  let s = `<reason${withNs ? attrs({ xmlns: UCWA_NS }) : ''}><code>${xmlEscape(reason.code)}</code>`;
  if (reason.subcode) s += `<subcode>${xmlEscape(reason.subcode)}</subcode>`;
  if (reason.message) s += `<message>${xmlEscape(reason.message)}</message>`;
  return `${s}</reason>`;
}

/**
 * Events in XML. The element name is the event type; `status` is an attribute and `in`/`reason` are child elements
 * (the reference has no sample of these three in XML, so this encoding is the simulator's choice).
 */
export function eventsToXml(body: EventsBody): string {
  let s = `<?xml version="1.0" encoding="utf-8"?><events${attrs({ href: body.links.resync ? undefined : body.href, xmlns: UCWA_NS })}>`;
  for (const rel of ['next', 'resync', 'resume'] as const) {
    const href = body.links[rel];
    if (href) s += `<link${attrs({ rel, href })}/>`;
  }
  for (const sender of body.senders) {
    s += `<sender${attrs({ rel: sender.rel, href: sender.href })}>`;
    for (const e of sender.events) {
      s += `<${e.type}${attrs({ rel: e.link.rel, href: e.link.href, title: e.link.title, status: e.status })}>`;
      if (e.in) s += `<in${attrs({ rel: e.in.rel, href: e.in.href, title: e.in.title })}/>`;
      if (e.reason) s += reasonToXml(e.reason, false);
      if (e.embedded) s += resourceToXmlInner(e.embedded, false);
      s += `</${e.type}>`;
    }
    s += '</sender>';
  }
  return `${s}</events>`;
}

export function errorBody(format: Format, reason: SimReason): string {
  if (format === 'xml') return `<?xml version="1.0" encoding="utf-8"?>${reasonToXml(reason, true)}`;
  return JSON.stringify(reason);
}

export function renderResource(format: Format, r: SimResource): string {
  return format === 'xml' ? resourceToXml(r) : JSON.stringify(resourceToJson(r));
}

export function renderEvents(format: Format, body: EventsBody): string {
  return format === 'xml' ? eventsToXml(body) : JSON.stringify(eventsToJson(body));
}

// ------------------------------------------------------------------------------------------------------ data URIs

/**
 * A text as UCWA puts it in a data URI: URL-encoded with `+` for spaces and lower-case escapes (as real servers do),
 * or base64 (as the reference samples show).
 */
export function textDataUri(text: string, encoding: 'url' | 'base64', mime = 'text/plain'): string {
  if (encoding === 'base64') return `data:${mime};base64,${Buffer.from(text, 'utf8').toString('base64')}`;
  const encoded = encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)
    .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  return `data:${mime};charset=utf-8,${encoded}`;
}
