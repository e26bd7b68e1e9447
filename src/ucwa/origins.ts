// Where the client may send a request, and therefore a token: only to origins the discovery chain established, and
// only over HTTPS or plain HTTP to a loopback address (the local simulator). An href from a response cannot widen
// this set; only discovery can.
import { UcwaOriginError } from './errors';

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Throws unless the URL may carry credentials at all (transport-level rule). */
export function assertSecureTransport(url: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  throw new UcwaOriginError(`refusing ${url.protocol}//${url.host}: UCWA traffic must use HTTPS (plain HTTP only to a loopback address)`);
}

export class TrustedOrigins {
  private readonly origins = new Set<string>();

  /** Adds an origin the discovery chain handed us. */
  trust(url: string | URL): void {
    const u = typeof url === 'string' ? new URL(url) : url;
    assertSecureTransport(u);
    this.origins.add(u.origin);
  }

  has(origin: string): boolean {
    return this.origins.has(origin);
  }

  /** Resolves an href (often host-relative) against the resource it came from, and checks the result is trusted. */
  resolve(href: string, base: string | URL): URL {
    let url: URL;
    try {
      url = new URL(href, base);
    } catch {
      throw new UcwaOriginError(`unusable href ${JSON.stringify(href.slice(0, 100))}`);
    }
    if (url.protocol === 'data:') throw new UcwaOriginError('a data: URI is content, not a request target');
    assertSecureTransport(url);
    if (!this.origins.has(url.origin)) {
      throw new UcwaOriginError(`refusing to send a request to ${url.origin}: not a host the discovery chain established`);
    }
    return url;
  }

  list(): string[] {
    return [...this.origins];
  }
}
