// Fault injection: the next N requests that match get a status, a reset connection, a delay or a broken body.
import type { SimReason } from './representation';

export type FaultAction =
  | { kind: 'status'; status: number; retryAfter?: number; code?: string; subcode?: string }
  | { kind: 'reset' }
  | { kind: 'delay'; seconds: number }
  | { kind: 'body'; body: 'html' | 'malformed' | 'empty'; status?: number };

export interface FaultRule {
  id: number;
  /** Substring of the request path (query included) that the rule matches. */
  path: string;
  method?: string;
  /** Requests still to be hit. */
  remaining: number;
  action: FaultAction;
  hits: number;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'ClientTimeout',
  409: 'Conflict',
  410: 'Gone',
  429: 'TooManyRequests',
  500: 'ServiceFailure',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForStatus(status: number, code?: string, subcode?: string): SimReason {
  return { code: code ?? STATUS_CODES[status] ?? 'ServiceFailure', subcode, message: `Injected failure (${status}).` };
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(path: string, method: string | undefined, count: number, action: FaultAction): FaultRule {
    const rule: FaultRule = { id: this.nextId++, path, method: method?.toUpperCase(), remaining: count, action, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  /** Takes one hit of the first rule matching this request, if any. */
  take(method: string, pathWithQuery: string): FaultAction | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && (!r.method || r.method === method) && pathWithQuery.includes(r.path));
    if (!rule) return undefined;
    rule.remaining--;
    rule.hits++;
    return rule.action;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }
}
