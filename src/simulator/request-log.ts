// What clients sent, for tests and for people debugging a client: a bounded ring of recent requests.

export interface LoggedRequest {
  seq: number;
  at: string;
  pool: string;
  method: string;
  /** Path with query string. */
  path: string;
  accept?: string;
  contentType?: string;
  /** Only the scheme of the Authorization header is kept, never the token. */
  auth: 'bearer' | 'other' | 'none';
  user?: string;
  /** Request body of UCWA calls (never of the token endpoint, which carries passwords). */
  body?: string;
  status?: number;
}

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity: number) {}

  add(entry: Omit<LoggedRequest, 'seq' | 'at'>): LoggedRequest {
    const e: LoggedRequest = { seq: ++this.seq, at: new Date().toISOString(), ...entry };
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.shift();
    return e;
  }

  query(filter: { path?: string; method?: string; user?: string; since?: number }): LoggedRequest[] {
    return this.entries.filter(
      (e) =>
        (!filter.path || e.path.includes(filter.path)) &&
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (!filter.user || e.user === filter.user.toLowerCase()) &&
        (filter.since === undefined || e.seq > filter.since),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
}
