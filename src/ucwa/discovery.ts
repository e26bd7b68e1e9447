// Autodiscovery: from the discovery root (or lyncdiscoverinternal./lyncdiscover. of the SIP domain) through
// `redirect` links and the authenticated user resource to the `applications` URL of the user's home pool.
// Every host this chain names becomes a trusted origin; nothing else ever does.
import { UcwaError, UcwaHttpError, UcwaNetworkError } from './errors';
import { UcwaParseError } from './resource';
import type { UcwaSession } from './session';

export interface DiscoveryTarget {
  /** An explicit autodiscover root, e.g. https://lyncdiscover.contoso.com */
  discoveryUrl?: string;
  /** Or the SIP domain: lyncdiscoverinternal.<domain> is tried first, then lyncdiscover.<domain>. */
  domain?: string;
}

export interface DiscoveryResult {
  applicationsUrl: string;
  /** Origin of the user's home pool (where applications live and which issues the token). */
  poolOrigin: string;
}

export class DiscoveryError extends UcwaError {
  override readonly name = 'DiscoveryError';
}

const MAX_HOPS = 8;

export function discoveryCandidates(target: DiscoveryTarget): string[] {
  if (target.discoveryUrl) return [target.discoveryUrl];
  if (target.domain) return [`https://lyncdiscoverinternal.${target.domain}/`, `https://lyncdiscover.${target.domain}/`];
  throw new DiscoveryError('discovery needs a discovery URL or a SIP domain');
}

export async function discover(session: UcwaSession, target: DiscoveryTarget, signal?: AbortSignal): Promise<DiscoveryResult> {
  const failures: string[] = [];
  for (const candidate of discoveryCandidates(target)) {
    try {
      session.origins.trust(candidate);
      return await followChain(session, candidate, signal);
    } catch (err) {
      // An internal name that does not answer (or answers 404) is expected outside the corporate network; the
      // reference counts an HTTP redirect elsewhere as a failure too (this client follows only UCWA's own links),
      // and a host that answers with something that is not a UCWA root (a default web page) is not the service.
      if (err instanceof UcwaNetworkError || err instanceof UcwaParseError || (err instanceof UcwaHttpError && (err.status === 404 || (err.status >= 300 && err.status < 400)))) {
        failures.push(`${new URL(candidate).host}: ${err.message}`);
        continue;
      }
      throw err;
    }
  }
  throw new DiscoveryError(`no discovery host answered (${failures.join('; ')})`);
}

async function followChain(session: UcwaSession, rootUrl: string, signal?: AbortSignal): Promise<DiscoveryResult> {
  let href = rootUrl;
  let authenticated = false;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const { resource, url } = await session.getResource(href, { anonymous: !authenticated, signal });
    const applications = resource.linkHref('applications');
    if (applications) {
      const appsUrl = new URL(applications, url);
      session.origins.trust(appsUrl);
      return { applicationsUrl: appsUrl.toString(), poolOrigin: appsUrl.origin };
    }
    const user = resource.linkHref('user');
    const redirect = resource.linkHref('redirect');
    const next = user ?? redirect;
    if (!next) throw new DiscoveryError(`${url.host} answered discovery with neither user, redirect nor applications links`);
    const nextUrl = new URL(next, url);
    // Redirect security check: links that came over HTTPS (or from the loopback simulator) are accepted;
    // trust() refuses plain HTTP to anything else.
    session.origins.trust(nextUrl);
    // A user link needs a token; a redirect goes to another root (anonymous) unless it already is a user resource.
    authenticated = user !== undefined || /\/user(\?|$)/i.test(nextUrl.pathname);
    href = nextUrl.toString();
  }
  throw new DiscoveryError(`discovery did not reach an applications link within ${MAX_HOPS} hops`);
}
