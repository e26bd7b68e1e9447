// Test-side helpers for the simulator suite: start/stop simulators, sign in, create applications, read the event
// channel, and turn JSON and XML bodies into one small model so most tests run once per representation.
// Independent of the product's UCWA client on purpose (nothing from src/ucwa): the simulator is checked on its own.
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UcwaSimulator } from '../../src/simulator';
import { rawRequest, RawRequest, RawResponse } from '../support/raw-http';

export const UCWA_JSON = 'application/vnd.microsoft.com.ucwa+json';
export const UCWA_XML = 'application/vnd.microsoft.com.ucwa+xml';
export const UCWA_NS = 'http://schemas.microsoft.com/rtc/2012/03/ucwa';

export type FormatName = 'json' | 'xml';
export const FORMATS: FormatName[] = ['json', 'xml'];

export function acceptOf(format: FormatName): string {
  return format === 'xml' ? UCWA_XML : 'application/json';
}

// ------------------------------------------------------------------------------------------------- simulators

export { QUIET, useSimulators } from '../support/simulators';

// ------------------------------------------------------------------------------------------------- the model

export interface Link {
  href: string;
  title?: string;
}

/** One resource, the same shape whether it came as JSON or as XML. Property values are kept as sent. */
export interface Res {
  rel: string;
  href: string;
  props: Record<string, unknown>;
  links: Record<string, Link[]>;
  embedded: Record<string, Res[]>;
}

export interface Reason {
  code: string;
  subcode?: string;
  message?: string;
}

export interface Ev {
  sender: { rel: string; href: string };
  type: string;
  link: Link & { rel: string };
  in?: Link & { rel: string };
  status?: string;
  reason?: Reason;
  resource?: Res;
}

export interface EventsPage {
  self?: string;
  next?: string;
  resync?: string;
  resume?: string;
  /** Link rels present, sorted (to check "only resync", "no next"). */
  linkRels: string[];
  senders: Array<{ rel: string; href: string; events: Ev[] }>;
  events: Ev[];
}

// JSON ------------------------------------------------------------------------------------------------------

function jsonLinks(raw: unknown): Record<string, Link[]> {
  const out: Record<string, Link[]> = {};
  for (const [rel, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    out[rel] = (Array.isArray(v) ? v : [v]).map((l) => {
      const link = l as Record<string, unknown>;
      assert.equal(typeof link.href, 'string', `link ${rel} has no href`);
      return link.title === undefined ? { href: String(link.href) } : { href: String(link.href), title: String(link.title) };
    });
  }
  return out;
}

export function jsonResource(obj: Record<string, unknown>): Res {
  const links = jsonLinks(obj._links);
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k !== '_links' && k !== '_embedded' && k !== 'rel') props[k] = v;
  const embedded: Record<string, Res[]> = {};
  for (const [k, v] of Object.entries((obj._embedded ?? {}) as Record<string, unknown>)) {
    embedded[k] = (Array.isArray(v) ? v : [v]).map((e) => jsonResource(e as Record<string, unknown>));
  }
  assert.equal(typeof obj.rel, 'string', 'a JSON resource carries its rel');
  return { rel: String(obj.rel), href: links.self?.[0]?.href ?? '', props, links, embedded };
}

function jsonEvents(obj: Record<string, unknown>): EventsPage {
  const links = jsonLinks(obj._links);
  const senders = ((obj.sender ?? []) as Array<Record<string, unknown>>).map((s) => {
    const sender = { rel: String(s.rel), href: String(s.href) };
    const events = ((s.events ?? []) as Array<Record<string, unknown>>).map((e): Ev => {
      const emb = e._embedded as Record<string, Record<string, unknown>> | undefined;
      const first = emb ? Object.values(emb)[0] : undefined;
      return {
        sender,
        type: String(e.type),
        link: e.link as Ev['link'],
        in: e.in as Ev['in'],
        status: e.status as string | undefined,
        reason: e.reason as Reason | undefined,
        resource: first ? jsonResource(first) : undefined,
      };
    });
    return { ...sender, events };
  });
  return pageOf(links, senders);
}

function pageOf(links: Record<string, Link[]>, senders: EventsPage['senders']): EventsPage {
  return {
    self: links.self?.[0]?.href,
    next: links.next?.[0]?.href,
    resync: links.resync?.[0]?.href,
    resume: links.resume?.[0]?.href,
    linkRels: Object.keys(links).sort(),
    senders,
    events: senders.flatMap((s) => s.events),
  };
}

// XML -------------------------------------------------------------------------------------------------------

interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

/** Parses an XML document strictly (a malformed one throws) and returns its root element. */
export function xmlRoot(body: string): XNode {
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new Error(`malformed XML: ${valid.err.msg}`);
  const nodes = toNodes(xmlParser.parse(body) as unknown[]);
  const root = nodes.find((n) => !n.name.startsWith('?'));
  assert.ok(root, 'XML document has a root element');
  return root;
}

function toNodes(raw: unknown[]): XNode[] {
  const out: XNode[] = [];
  for (const item of raw) {
    const rec = item as Record<string, unknown>;
    const name = Object.keys(rec).find((k) => k !== ':@');
    if (!name || name === '#text') continue;
    const kids = (rec[name] as unknown[]) ?? [];
    const text = kids
      .filter((k) => typeof k === 'object' && k !== null && '#text' in k)
      .map((k) => String((k as Record<string, unknown>)['#text']))
      .join('');
    out.push({ name, attrs: (rec[':@'] as Record<string, string>) ?? {}, children: toNodes(kids), text });
  }
  return out;
}

function xmlLink(n: XNode): Link & { rel: string } {
  const l: Link & { rel: string } = { rel: n.attrs.rel, href: n.attrs.href };
  if (n.attrs.title !== undefined) l.title = n.attrs.title;
  return l;
}

export function xmlResource(n: XNode): Res {
  assert.equal(n.name, 'resource');
  const res: Res = { rel: n.attrs.rel, href: n.attrs.href, props: {}, links: { self: [{ href: n.attrs.href }] }, embedded: {} };
  for (const c of n.children) {
    if (c.name === 'link') {
      const { rel, ...link } = xmlLink(c);
      (res.links[rel] ??= []).push(link);
    } else if (c.name === 'property') res.props[c.attrs.name] = c.text;
    else if (c.name === 'propertyList') res.props[c.attrs.name] = c.children.filter((i) => i.name === 'item').map((i) => i.text);
    else if (c.name === 'resource') (res.embedded[c.attrs.rel] ??= []).push(xmlResource(c));
    else assert.fail(`unexpected element <${c.name}> in a resource`);
  }
  return res;
}

function xmlReason(n: XNode): Reason {
  const get = (name: string) => n.children.find((c) => c.name === name)?.text;
  const r: Reason = { code: get('code') ?? '' };
  const sub = get('subcode');
  const msg = get('message');
  if (sub !== undefined) r.subcode = sub;
  if (msg !== undefined) r.message = msg;
  return r;
}

function xmlEvents(root: XNode): EventsPage {
  assert.equal(root.name, 'events');
  assert.equal(root.attrs.xmlns, UCWA_NS);
  const links: Record<string, Link[]> = {};
  if (root.attrs.href !== undefined) links.self = [{ href: root.attrs.href }];
  const senders: EventsPage['senders'] = [];
  for (const c of root.children) {
    if (c.name === 'link') (links[c.attrs.rel] ??= []).push({ href: c.attrs.href });
    else if (c.name === 'sender') {
      const sender = { rel: c.attrs.rel, href: c.attrs.href };
      const events = c.children.map((e): Ev => {
        const inNode = e.children.find((x) => x.name === 'in');
        const reasonNode = e.children.find((x) => x.name === 'reason');
        const resNode = e.children.find((x) => x.name === 'resource');
        return {
          sender,
          type: e.name,
          link: { rel: e.attrs.rel, href: e.attrs.href, ...(e.attrs.title !== undefined ? { title: e.attrs.title } : {}) },
          in: inNode ? xmlLink(inNode) : undefined,
          status: e.attrs.status,
          reason: reasonNode ? xmlReason(reasonNode) : undefined,
          resource: resNode ? xmlResource(resNode) : undefined,
        };
      });
      senders.push({ ...sender, events });
    } else assert.fail(`unexpected element <${c.name}> in events`);
  }
  return pageOf(links, senders);
}

// Either ------------------------------------------------------------------------------------------------------

export function parseResource(format: FormatName, body: string): Res {
  if (format === 'json') return jsonResource(JSON.parse(body) as Record<string, unknown>);
  const root = xmlRoot(body);
  assert.equal(root.attrs.xmlns, UCWA_NS, 'the XML resource is in the UCWA namespace');
  return xmlResource(root);
}

export function parseEvents(format: FormatName, body: string): EventsPage {
  return format === 'json' ? jsonEvents(JSON.parse(body) as Record<string, unknown>) : xmlEvents(xmlRoot(body));
}

export function parseError(format: FormatName, body: string): Reason {
  if (format === 'json') {
    const r = JSON.parse(body) as Reason;
    assert.equal(typeof r.code, 'string', 'a UCWA error has a code');
    return r;
  }
  const root = xmlRoot(body);
  assert.equal(root.name, 'reason');
  assert.equal(root.attrs.xmlns, UCWA_NS);
  return xmlReason(root);
}

/** A property as text: JSON booleans become UCWA XML's True/False so one assertion fits both. */
export function text(r: Res, name: string): string | undefined {
  const v = r.props[name];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) assert.fail(`${name} is a list`);
  return String(v);
}

export function list(r: Res, name: string): string[] {
  const v = r.props[name];
  assert.ok(Array.isArray(v), `${r.rel}.${name} is a list (got ${JSON.stringify(v)})`);
  return v.map(String);
}

export function link(r: Res, rel: string): string {
  const l = r.links[rel];
  assert.ok(l && l.length === 1, `${r.rel} has one ${rel} link (links: ${Object.keys(r.links).join(', ')})`);
  return l[0].href;
}

export function hasLink(r: Res, rel: string): boolean {
  return (r.links[rel]?.length ?? 0) > 0;
}

export function embedded(r: Res, key: string): Res {
  const e = r.embedded[key];
  assert.ok(e && e.length === 1, `${r.rel} embeds one ${key} (embedded: ${Object.keys(r.embedded).join(', ')})`);
  return e[0];
}

/**
 * The embedded participant behind the `from` link. JSON names it `_embedded.from`; UCWA XML has no member names,
 * only the nested resource's rel (participant), so there it is found by the href the `from` link points at.
 */
export function fromParticipant(r: Res): Res {
  if (r.embedded.from) return embedded(r, 'from');
  const href = link(r, 'from');
  const found = (r.embedded.participant ?? []).find((p) => p.href === href);
  assert.ok(found, `no embedded participant at the from link ${href}`);
  return found;
}

/** Decodes a data URI the way UCWA clients must: base64, or `+` to space before percent-decoding. */
export function decodeDataUri(uri: string): { mime: string; text: string; base64: boolean } {
  const m = /^data:([^,]*),(.*)$/s.exec(uri);
  assert.ok(m, `not a data URI: ${uri}`);
  const params = m[1].split(';');
  const base64 = params.includes('base64');
  const text = base64 ? Buffer.from(m[2], 'base64').toString('utf8') : decodeURIComponent(m[2].replace(/\+/g, '%20'));
  return { mime: params[0], text, base64 };
}

// ------------------------------------------------------------------------------------------------- sessions

export async function grantToken(origin: string, username: string, password = 'demo'): Promise<string> {
  const res = await rawRequest(`${origin}/WebTicket/oauthtoken`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8', Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  assert.equal(res.status, 200, `token grant for ${username}: ${res.body}`);
  const body = JSON.parse(res.body) as { access_token: string };
  return body.access_token;
}

/** One signed-in user talking to one pool in one representation. */
export class Session {
  constructor(
    readonly origin: string,
    readonly token: string,
    readonly format: FormatName,
  ) {}

  static async signIn(origin: string, upn: string, format: FormatName = 'json'): Promise<Session> {
    return new Session(origin, await grantToken(origin, upn), format);
  }

  url(href: string): string {
    return new URL(href, this.origin).toString();
  }

  request(method: string, href: string, options: Omit<RawRequest, 'method'> = {}): Promise<RawResponse> {
    return rawRequest(this.url(href), {
      ...options,
      method,
      headers: { Accept: acceptOf(this.format), Authorization: `Bearer ${this.token}`, ...options.headers },
    });
  }

  get(href: string, options: Omit<RawRequest, 'method'> = {}): Promise<RawResponse> {
    return this.request('GET', href, options);
  }

  /** POST with a JSON body (or XML when `xml` is given), or an empty body. */
  post(href: string, json?: unknown, options: Omit<RawRequest, 'method'> = {}): Promise<RawResponse> {
    const body = json === undefined ? '' : JSON.stringify(json);
    const headers: Record<string, string> = json === undefined ? {} : { 'Content-Type': 'application/json' };
    return this.request('POST', href, { ...options, body, headers: { ...headers, ...options.headers } });
  }

  resource(res: RawResponse): Res {
    return parseResource(this.format, res.body);
  }

  error(res: RawResponse): Reason {
    return parseError(this.format, res.body);
  }

  async expectError(res: RawResponse | Promise<RawResponse>, status: number, code: string, subcode?: string): Promise<Reason> {
    const r = await res;
    assert.equal(r.status, status, `expected ${status} ${code}/${subcode ?? ''}, got ${r.status}: ${r.body}`);
    const reason = this.error(r);
    assert.equal(reason.code, code);
    if (subcode !== undefined) assert.equal(reason.subcode, subcode);
    return reason;
  }

  /** POST applications with the usual PascalCase body; returns the application and its main hrefs. */
  async createApplication(input: Record<string, string> = {}): Promise<App> {
    const res = await this.post('/ucwa/oauth/v1/applications', { UserAgent: 'sim-tests/1.0', EndpointId: randomEndpoint(), Culture: 'en-US', ...input });
    assert.equal(res.status, 201, `create application: ${res.body}`);
    return new App(this, this.resource(res));
  }
}

let endpointCounter = 0;
export function randomEndpoint(): string {
  return `00000000-0000-4000-8000-${String(++endpointCounter).padStart(12, '0')}`;
}

export class App {
  readonly href: string;
  readonly eventsHref: string;
  readonly me: Res;

  constructor(
    readonly session: Session,
    readonly resource: Res,
  ) {
    this.href = resource.href;
    this.eventsHref = link(resource, 'events');
    this.me = embedded(resource, 'me');
  }

  get id(): string {
    return this.href.split('/').pop()!;
  }

  async makeMeAvailable(modalities: string[] = ['Messaging'], extra: Record<string, unknown> = {}): Promise<void> {
    const res = await this.session.post(link(this.me, 'makeMeAvailable'), { SupportedModalities: modalities, ...extra });
    assert.equal(res.status, 204, `makeMeAvailable: ${res.status} ${res.body}`);
  }

  events(): EventReader {
    return new EventReader(this.session, this.eventsHref);
  }
}

/** Follows an event channel as a careful client does: one P-GET at a time, next/resume/resync as given. */
export class EventReader {
  readonly all: Ev[] = [];
  readonly pages: EventsPage[] = [];

  constructor(
    readonly session: Session,
    public nextHref: string,
  ) {}

  /** The URL to GET: the server's link with extra parameters added by a URL builder (never editing ack). */
  withParams(href: string, params: Record<string, string | number> = {}): string {
    const u = new URL(href, this.session.origin);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
    return u.pathname + u.search;
  }

  async poll(params: Record<string, string | number> = {}): Promise<EventsPage> {
    const res = await this.session.get(this.withParams(this.nextHref, params));
    assert.equal(res.status, 200, `P-GET ${this.nextHref}: ${res.status} ${res.body}`);
    const page = parseEvents(this.session.format, res.body);
    this.pages.push(page);
    this.all.push(...page.events);
    const follow = page.resync ?? page.resume ?? page.next;
    assert.ok(follow, 'every events answer links onward (next, resume or resync)');
    this.nextHref = follow;
    return page;
  }

  /** Polls until `done(all events so far)` holds; fails after `maxPolls` answers. */
  async until(done: (all: Ev[]) => boolean, params: Record<string, string | number> = {}, maxPolls = 25): Promise<Ev[]> {
    for (let i = 0; i < maxPolls && !done(this.all); i++) await this.poll(params);
    assert.ok(done(this.all), `condition not met after ${maxPolls} polls; events: ${describeEvents(this.all)}`);
    return this.all;
  }
}

export function describeEvents(events: Ev[]): string {
  return events.map((e) => `${e.sender.rel}:${e.type}:${e.link.rel}${e.status ? `:${e.status}` : ''}`).join(', ');
}

export function findEvent(events: Ev[], type: string, rel: string): Ev | undefined {
  return events.find((e) => e.type === type && e.link.rel === rel);
}

export function mustFind(events: Ev[], type: string, rel: string): Ev {
  const e = findEvent(events, type, rel);
  assert.ok(e, `no ${type} ${rel} event in: ${describeEvents(events)}`);
  return e;
}

// ------------------------------------------------------------------------------------------------- admin API

export async function admin(sim: UcwaSimulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> & unknown[]; res: RawResponse }> {
  const res = await rawRequest(`${sim.origin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: JSON.parse(res.body) as Record<string, unknown> & unknown[], res };
}

export interface InvitationInput {
  to: string;
  kind?: 'onlineMeeting' | 'messaging' | 'audioVideo';
  from?: { name?: string; uri: string; sourceNetwork?: string };
  [key: string]: unknown;
}

export async function invite(sim: UcwaSimulator, input: InvitationInput): Promise<{ id: string; deliveredTo: string[] }> {
  const r = await admin(sim, 'POST', '/_sim/invitations', { from: { name: 'Bob Caller', uri: 'sip:bob@example.com' }, subject: 'Hello', ...input });
  assert.equal(r.status, 201, `create invitation: ${r.res.body}`);
  return { id: String(r.json.id), deliveredTo: r.json.deliveredTo as unknown as string[] };
}

export async function invitationState(sim: UcwaSimulator, id: string): Promise<Record<string, unknown>> {
  const r = await admin(sim, 'GET', `/_sim/invitations/${id}`);
  assert.equal(r.status, 200);
  return r.json;
}

let markerCounter = 0;

/**
 * Proves that nothing more was queued for a user's channel before now, without waiting for time to pass: queues a
 * high-priority marker event behind whatever the channel holds, reads until it arrives, and returns the events read
 * before it (events of one channel keep their order, so anything already queued must come first).
 */
export async function eventsBeforeMarker(sim: UcwaSimulator, user: string, reader: EventReader): Promise<Ev[]> {
  const title = `marker-${++markerCounter}`;
  const from = reader.all.length;
  const r = await admin(sim, 'POST', '/_sim/events', { user, senderRel: 'people', rel: 'marker', type: 'added', priority: 'high', title });
  assert.equal(r.status, 201);
  const isMarker = (e: Ev) => e.link.rel === 'marker' && e.link.title === title;
  await reader.until((all) => all.slice(from).some(isMarker));
  const after = reader.all.slice(from);
  return after.slice(0, after.findIndex(isMarker));
}

/** Waits (bounded) until the simulator reports a parked P-GET for the application. */
export async function waitParked(sim: UcwaSimulator, appId: string, parked = true): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await admin(sim, 'GET', '/_sim/applications');
    const app = (r.json as unknown as Array<{ id: string; parked: boolean }>).find((a) => a.id === appId);
    if (app && app.parked === parked) return;
    await new Promise((res) => setImmediate(res));
  }
  assert.fail(`application ${appId} never had parked=${parked}`);
}
