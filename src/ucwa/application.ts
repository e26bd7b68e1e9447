// The UCWA application of one account: create it, make it available for the modalities that receive invitations,
// keep reporting activity well inside the 4-minute window, delete it on shutdown.
import { randomUUID } from 'node:crypto';
import { UcwaHttpError } from './errors';
import { parseRepresentation, UcwaResource } from './resource';
import { contentTypeOf, UcwaSession } from './session';

/** A sign-out is a courtesy to the pool: never worth waiting on longer than this. */
export const DELETE_TIMEOUT_MS = 10_000;

export interface ApplicationOptions {
  userAgent: string;
  culture: string;
  /** A phone number for PhoneAudio: calls can then be accepted by ringing that phone. */
  phoneNumber?: string;
}

export interface ApplicationLinks {
  self: string;
  events: string;
  me?: string;
  makeMeAvailable?: string;
  reportMyActivity?: string;
  communication?: string;
  conversations?: string;
}

/** Registering Audio lets calls reach us (to be shown and declined); some pools refuse it, so fall back. */
export function modalityPlans(phoneNumber?: string): string[][] {
  const phone = phoneNumber ? ['PhoneAudio'] : [];
  return [['Messaging', 'Audio', ...phone], ['Messaging', ...phone], ['Messaging']].filter((p, i, all) => all.findIndex((q) => q.join() === p.join()) === i);
}

export class UcwaApplication {
  links: ApplicationLinks;
  modalities: string[] = [];

  private constructor(
    private readonly session: UcwaSession,
    private readonly options: ApplicationOptions,
    links: ApplicationLinks,
  ) {
    this.links = links;
  }

  static async create(session: UcwaSession, applicationsUrl: string, options: ApplicationOptions, signal?: AbortSignal): Promise<UcwaApplication> {
    const res = await session.post(applicationsUrl, {
      json: { UserAgent: options.userAgent, EndpointId: randomUUID(), Culture: options.culture },
      signal,
    });
    const resource = parseRepresentation(res.body, contentTypeOf(res));
    return new UcwaApplication(session, options, readLinks(resource, res.url));
  }

  /**
   * Re-attaches to an application created earlier (by this process before a restart), continuing its event channel
   * at `eventsHref` so that an unacknowledged batch is delivered again rather than lost. Throws if it is gone.
   */
  static async attach(session: UcwaSession, applicationHref: string, eventsHref: string, options: ApplicationOptions, signal?: AbortSignal): Promise<UcwaApplication> {
    const { resource, url } = await session.getResource(applicationHref, { signal });
    const app = new UcwaApplication(session, options, { ...readLinks(resource, url), events: eventsHref });
    app.modalities = resource.embeddedOne('communication')?.stringArray('supportedModalities') ?? [];
    return app;
  }

  /** makeMeAvailable (409 AlreadyExists counts as done), then picks up the links that appear afterwards. */
  async makeAvailable(signal?: AbortSignal): Promise<void> {
    const href = this.links.makeMeAvailable;
    if (!href) throw new Error('the application offers no makeMeAvailable link');
    let lastRefusal: unknown;
    for (const modalities of modalityPlans(this.options.phoneNumber)) {
      try {
        await this.session.post(href, {
          base: this.links.self,
          json: { SupportedModalities: modalities, SupportedMessageFormats: ['Plain'], ...(this.options.phoneNumber ? { phoneNumber: this.options.phoneNumber } : {}) },
          signal,
        });
        this.modalities = modalities;
        lastRefusal = undefined;
        break;
      } catch (err) {
        if (err instanceof UcwaHttpError && err.status === 409 && err.subcode === 'AlreadyExists') {
          this.modalities = modalities;
          lastRefusal = undefined;
          break;
        }
        // 403: this pool does not let UCWA applications use these modalities; try a narrower set.
        if (err instanceof UcwaHttpError && err.status === 403) {
          lastRefusal = err;
          continue;
        }
        throw err;
      }
    }
    if (lastRefusal) throw lastRefusal;
    await this.refresh(signal);
  }

  /** Re-reads the application: reportMyActivity and other links appear only after makeMeAvailable. */
  async refresh(signal?: AbortSignal): Promise<void> {
    const { resource, url } = await this.session.getResource(this.links.self, { base: this.links.self, signal });
    const fresh = readLinks(resource, url);
    this.links = { ...fresh, events: this.links.events };
    // What the pool actually holds: after a 409 AlreadyExists the plan we tried says nothing about it.
    const held = resource.embeddedOne('communication')?.stringArray('supportedModalities');
    if (held && held.length > 0) this.modalities = held;
  }

  async reportActivity(signal?: AbortSignal): Promise<void> {
    const href = this.links.reportMyActivity;
    if (!href) return;
    await this.session.post(href, { base: this.links.self, signal });
  }

  async delete(signal?: AbortSignal): Promise<void> {
    await UcwaApplication.deleteAt(this.session, this.links.self, signal);
  }

  /**
   * Signs out the application at `href` (one created earlier, perhaps by another process). 404 and 410 count as done:
   * it is gone already. Only a trusted origin is asked (the session refuses others before any token is sent).
   */
  static async deleteAt(session: UcwaSession, href: string, signal?: AbortSignal): Promise<void> {
    const res = await session.send('DELETE', href, { base: href, signal, timeoutMs: DELETE_TIMEOUT_MS });
    if (res.status >= 300 && res.status !== 404 && res.status !== 410) {
      throw new UcwaHttpError('DELETE', res.url.pathname, res.status, undefined, undefined);
    }
  }
}

function readLinks(app: UcwaResource, url: URL): ApplicationLinks {
  const abs = (href: string | undefined) => (href ? new URL(href, url).toString() : undefined);
  const me = app.embeddedOne('me');
  const communication = app.embeddedOne('communication');
  const self = abs(app.href ?? app.linkHref('self')) ?? url.toString();
  const events = abs(app.linkHref('events'));
  if (!events) throw new Error('the application resource has no events link');
  return {
    self,
    events,
    me: abs(me?.href ?? me?.linkHref('self')),
    makeMeAvailable: abs(me?.linkHref('makeMeAvailable')),
    reportMyActivity: abs(me?.linkHref('reportMyActivity') ?? app.linkHref('reportMyActivity')),
    communication: abs(communication?.href ?? communication?.linkHref('self')),
    conversations: abs(communication?.linkHref('conversations')),
  };
}
