// One application's event channel: the long poll (P-GET) with ack numbering, re-delivery, resync, resume,
// PGetReplaced, priority-driven release and aggregation of medium/low events.
import { SimClock, SimTimer } from './clock';
import { PGET_LIMITS } from './options';
import type { EventsBody, SimEvent, SimReason, SimSender } from './representation';

export type Priority = 'high' | 'medium' | 'low';

interface QueuedEvent {
  sender: { rel: string; href: string };
  event: SimEvent;
  priority: Priority;
  enqueuedAt: number;
}

export type PGetResult =
  | { kind: 'events'; body: EventsBody }
  | { kind: 'error'; status: number; reason: SimReason; headers?: Record<string, string> };

export interface PGetRequest {
  ack: number;
  query: URLSearchParams;
  respond(result: PGetResult): void;
}

interface Parked {
  request: PGetRequest;
  priority: number;
  holdTimer: SimTimer;
}

export interface ChannelHooks {
  /** A P-GET is now parked (the application is alive). */
  onParked(): void;
  /** The parked P-GET was answered; the idle window starts. */
  onReleased(): void;
}

export class EventChannel {
  private readonly queue: QueuedEvent[] = [];
  /** Batches sent but not yet acknowledged, by ack number: repeated acks get exactly the same batch. */
  private readonly unacked = new Map<number, EventsBody>();
  private firstUnacked = 1;
  private nextBatch = 1;
  private parked?: Parked;
  private releaseTimer?: SimTimer;
  private immediate?: NodeJS.Immediate;
  private pendingResync = false;
  private pendingResume = false;
  private params = { timeout: 0, medium: PGET_LIMITS.medium.default as number, low: PGET_LIMITS.low.default as number };

  constructor(
    private readonly eventsPath: string,
    private readonly clock: SimClock,
    private readonly defaultTimeout: number,
    private readonly hooks: ChannelHooks,
  ) {
    this.params.timeout = defaultTimeout;
  }

  /** The link that starts the channel, as the application resource advertises it. */
  get initialHref(): string {
    return this.href(1);
  }

  get hasParkedPGet(): boolean {
    return this.parked !== undefined;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  private href(ack: number): string {
    return `${this.eventsPath}?ack=${ack}`;
  }

  enqueue(sender: { rel: string; href: string }, event: SimEvent, priority: Priority = 'high'): void {
    if (priority !== 'high' && event.type === 'updated') {
      // Aggregation: a later change of the same resource replaces the earlier one still waiting in the queue.
      const i = this.queue.findIndex(
        (q) => q.priority === priority && q.event.type === 'updated' && q.event.link.href === event.link.href,
      );
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.queue.push({ sender, event, priority, enqueuedAt: this.clock.now() });
    this.scheduleRelease();
  }

  /** The next P-GET gets a resync-only answer (as after an out-of-range ack). */
  forceResync(): void {
    this.pendingResync = true;
    if (this.parked) this.releaseNow();
  }

  /**
   * The server dropped its transient state: events not yet sent describe state that is gone and are dropped with it,
   * the remembered parameters return to their defaults, and the next answer (at once, parked or next) carries
   * `resume` instead of `next`. Batches already sent stay re-deliverable.
   */
  forceResume(): void {
    this.pendingResume = true;
    this.queue.length = 0;
    this.params = { timeout: this.defaultTimeout, medium: PGET_LIMITS.medium.default, low: PGET_LIMITS.low.default };
    if (this.parked) this.releaseNow();
  }

  handle(req: PGetRequest): void {
    this.applyParams(req.query);
    const inRange = req.ack >= this.firstUnacked && req.ack <= this.nextBatch;
    if (inRange) {
      // Using a URL proves the batches before it arrived: forget them. This holds for a forced resync too, whose
      // link must then point at this ack, not at a batch the client already acknowledged.
      for (let a = this.firstUnacked; a < req.ack; a++) this.unacked.delete(a);
      this.firstUnacked = req.ack;
    }
    if (this.pendingResync || !inRange) {
      this.pendingResync = false;
      // Out-of-range ack: point at the first batch the client has not acknowledged.
      req.respond({ kind: 'events', body: { href: this.href(req.ack), links: { resync: this.href(this.firstUnacked) }, senders: [] } });
      // An immediate answer must not start the idle window while another P-GET is still parked.
      if (!this.parked) this.hooks.onReleased();
      return;
    }
    if (!this.supersede(req)) return;
    const again = this.unacked.get(req.ack);
    if (again) {
      // The client lost our answer (or retried): deliver the very same batch again.
      req.respond({ kind: 'events', body: again });
      this.hooks.onReleased();
      return;
    }
    const priority = Number(req.query.get('priority') ?? 0) || 0;
    const holdTimer = this.clock.after(this.params.timeout, () => this.releaseNow());
    this.parked = { request: req, priority, holdTimer };
    this.hooks.onParked();
    this.scheduleRelease();
  }

  /** Answers the parked P-GET with an error (application gone, token expired). */
  failParked(status: number, reason: SimReason, headers?: Record<string, string>): void {
    const p = this.parked;
    if (!p) return;
    this.parked = undefined;
    p.holdTimer.cancel();
    this.cancelTimers();
    p.request.respond({ kind: 'error', status, reason, headers });
  }

  /** The client went away while parked: forget the request, keep the events for its next P-GET. */
  abandon(req: PGetRequest): void {
    if (this.parked?.request !== req) return;
    this.parked.holdTimer.cancel();
    this.parked = undefined;
    this.cancelTimers();
    this.hooks.onReleased();
  }

  close(): void {
    this.cancelTimers();
    if (this.parked) this.parked.holdTimer.cancel();
    this.parked = undefined;
  }

  private applyParams(q: URLSearchParams): void {
    const clamp = (name: 'timeout' | 'medium' | 'low') => {
      const raw = q.get(name);
      if (raw === null) return;
      const n = Number(raw);
      if (!Number.isFinite(n)) return;
      const lim = PGET_LIMITS[name];
      this.params[name] = Math.min(lim.max, Math.max(lim.min, Math.round(n)));
    };
    clamp('timeout');
    clamp('medium');
    clamp('low');
  }

  /**
   * Two P-GETs never wait together: the newer one replaces the parked one, which is answered 409 PGetReplaced,
   * unless the newer one has a lower `priority`, in which case the newcomer gets the 409. Returns whether `req` won.
   */
  private supersede(req: PGetRequest): boolean {
    const old = this.parked;
    if (!old) return true;
    const conflict: SimReason = { code: 'Conflict', subcode: 'PGetReplaced', message: 'The pending GET was replaced by a newer one.' };
    const priority = Number(req.query.get('priority') ?? 0) || 0;
    if (priority < old.priority) {
      req.respond({ kind: 'error', status: 409, reason: conflict });
      return false;
    }
    old.holdTimer.cancel();
    this.parked = undefined;
    this.cancelTimers();
    old.request.respond({ kind: 'error', status: 409, reason: conflict });
    return true;
  }

  private cancelTimers(): void {
    this.releaseTimer?.cancel();
    this.releaseTimer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** Decides when the parked P-GET is released: at once for high priority, after the aggregation window otherwise. */
  private scheduleRelease(): void {
    if (!this.parked || (this.queue.length === 0 && !this.pendingResume)) return;
    if (this.pendingResume || this.queue.some((q) => q.priority === 'high')) {
      // Same-tick events (one scenario step) travel together in one batch.
      if (!this.immediate) this.immediate = setImmediate(() => this.releaseNow());
      return;
    }
    const now = this.clock.now();
    let due = Infinity;
    for (const q of this.queue) {
      const window = q.priority === 'medium' ? this.params.medium : this.params.low;
      due = Math.min(due, q.enqueuedAt + this.clock.ms(window));
    }
    this.releaseTimer?.cancel();
    this.releaseTimer = this.clock.after(Math.max(0, due - now) / 1000 / this.clock.timeScale, () => this.releaseNow());
  }

  private releaseNow(): void {
    const p = this.parked;
    this.cancelTimers();
    if (!p) return;
    this.parked = undefined;
    p.holdTimer.cancel();
    if (this.pendingResync) {
      this.pendingResync = false;
      p.request.respond({ kind: 'events', body: { href: this.href(p.request.ack), links: { resync: this.href(this.firstUnacked) }, senders: [] } });
      this.hooks.onReleased();
      return;
    }
    const ack = this.nextBatch++;
    const links = this.pendingResume ? { resume: this.href(ack + 1) } : { next: this.href(ack + 1) };
    this.pendingResume = false;
    const body: EventsBody = { href: this.href(ack), links, senders: groupBySender(this.queue.splice(0)) };
    this.unacked.set(ack, body);
    p.request.respond({ kind: 'events', body });
    this.hooks.onReleased();
  }
}

/** Consecutive events of one sender share a sender block; a sender may appear again later, so order is kept. */
function groupBySender(events: QueuedEvent[]): SimSender[] {
  const out: SimSender[] = [];
  for (const q of events) {
    const last = out[out.length - 1];
    if (last && last.rel === q.sender.rel && last.href === q.sender.href) last.events.push(q.event);
    else out.push({ rel: q.sender.rel, href: q.sender.href, events: [q.event] });
  }
  return out;
}
