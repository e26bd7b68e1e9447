// Benchmark: how many parked P-GETs the simulator carries, measured on the simulator alone. The simulator runs in a
// child process with N generated users; this process signs them all in (WebTicket password grant), creates an
// application each, parks one P-GET each and makes it available, with a raw node:http client (NOT the product's
// client) on one keep-alive agent without a per-host socket cap. It prints the time to park them all, the
// simulator's memory per parked P-GET (VmRSS from /proc and heap through IPC, after a forced GC), then releases a
// sample of them with invitations and measures delivery latency (admin POST -> the `started` event at the client).
//
//   node dist/bench/simulator-capacity.js [--users 10000] [--sample 100] [--concurrency 200] [--max-seconds 300]
//
// Each parked P-GET holds one socket on both sides, so both processes need more than N open files (printed first).
// Only 127.0.0.1. Bounded in time: it stops itself at --max-seconds.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cpuMeter, formatLatency, hardDeadline, kib, latencyStats, mib, ms, numArg, openFilesLimit, pct, report, rssOf, SimChild, startSimulatorChild, pollUntil } from './common';

const REQUESTED_USERS = numArg('users', 10_000);
const SAMPLE = numArg('sample', 100);
const CONCURRENCY = Math.max(1, numArg('concurrency', 200));
const MAX_SECONDS = numArg('max-seconds', 300);
/** The longest documented hold: parked P-GETs stay parked for the whole measurement. */
const HOLD_SECONDS = 1800;

function log(line: string): void {
  console.log(`[simulator-capacity] ${line}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

interface Res {
  status: number;
  body: string;
}

function request(origin: string, method: string, href: string, options: { token?: string; json?: unknown; form?: string; timeoutMs?: number } = {}): Promise<Res> {
  const url = new URL(href, origin);
  if (url.hostname !== '127.0.0.1') return Promise.reject(new Error(`refusing to talk to ${url.host}`));
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.form;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (body !== undefined) {
    headers['Content-Type'] = options.json !== undefined ? 'application/json' : 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`timeout: ${method} ${url.pathname}`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface EventsJson {
  _links?: Record<string, { href: string } | undefined>;
  sender?: Array<{ events?: Array<{ type: string; link: { rel: string; href: string } }> }>;
}

/** One signed-in user with its event channel loop. */
class Endpoint {
  token = '';
  eventsHref = '';
  batches = 0;
  pgetOutstanding = false;
  errors = 0;
  private onStarted?: (at: number) => void;

  constructor(
    readonly upn: string,
    private readonly origin: string,
  ) {}

  async signIn(): Promise<void> {
    const t = await request(this.origin, 'POST', '/WebTicket/oauthtoken', { form: `grant_type=password&username=${encodeURIComponent(this.upn)}&password=demo` });
    if (t.status !== 200) throw new Error(`${this.upn}: token ${t.status}`);
    this.token = (JSON.parse(t.body) as { access_token: string }).access_token;
    const a = await request(this.origin, 'POST', '/ucwa/oauth/v1/applications', { token: this.token, json: { UserAgent: 'bench-capacity/1', EndpointId: randomUUID(), Culture: 'en-US' } });
    if (a.status !== 201) throw new Error(`${this.upn}: application ${a.status}`);
    const app = JSON.parse(a.body) as { _links: { events: { href: string } }; _embedded: { me: { _links: { makeMeAvailable: { href: string } } } } };
    this.eventsHref = app._links.events.href;
    // Park first, then make available: the P-GET is already waiting when the presence events come.
    this.loop();
    const m = await request(this.origin, 'POST', app._embedded.me._links.makeMeAvailable.href, { token: this.token, json: { SupportedModalities: ['Messaging'], SupportedMessageFormats: ['Plain'] } });
    if (m.status !== 204) throw new Error(`${this.upn}: makeMeAvailable ${m.status}`);
  }

  /** Resolves with the time the next `started` invitation event arrives. */
  nextInvitation(): Promise<number> {
    return new Promise((resolve) => (this.onStarted = resolve));
  }

  private loop(): void {
    const href = `${this.eventsHref}${this.eventsHref.includes('?') ? '&' : '?'}timeout=${HOLD_SECONDS}`;
    this.pgetOutstanding = true;
    request(this.origin, 'GET', href, { token: this.token, timeoutMs: (HOLD_SECONDS + 60) * 1000 }).then(
      (res) => {
        this.pgetOutstanding = false;
        if (res.status !== 200) {
          this.errors++;
          if (!stopped) setTimeout(() => this.loop(), 100);
          return;
        }
        const now = performance.now();
        const body = JSON.parse(res.body) as EventsJson;
        this.batches++;
        const started = (body.sender ?? []).some((s) => (s.events ?? []).some((e) => e.type === 'started' && e.link.rel.endsWith('Invitation')));
        if (started && this.onStarted) {
          const f = this.onStarted;
          this.onStarted = undefined;
          f(now);
        }
        const link = body._links?.resync ?? body._links?.resume ?? body._links?.next;
        if (link) this.eventsHref = link.href;
        if (!stopped) this.loop();
      },
      () => {
        this.pgetOutstanding = false;
        if (stopped) return;
        this.errors++;
        setTimeout(() => this.loop(), 100);
      },
    );
  }
}

let stopped = false;

async function main(): Promise<void> {
  const limits = openFilesLimit();
  log(`open files: ulimit -n ${limits.ulimit} (soft ${limits.soft}, hard ${limits.hard}) in this process and in the simulator child`);
  let users = REQUESTED_USERS;
  const soft = Number(limits.soft);
  if (Number.isFinite(soft) && soft < users + 500) {
    users = Math.max(0, soft - 500);
    log(`NOTE: ${REQUESTED_USERS} users do not fit under ${soft} open files per process (one socket per parked P-GET, plus margin): this run measures ${users}. Raise the limit (ulimit -n ${REQUESTED_USERS + 1000}; hard limit here ${limits.hard}) to measure ${REQUESTED_USERS}.`);
  }
  const started = Date.now();
  let sim: SimChild | undefined;
  const summary: Record<string, unknown> = { users };
  const deadline = hardDeadline(MAX_SECONDS, () => {
    stopped = true;
    agent.destroy();
    report({ ...summary, timedOut: true });
    void sim?.stop().finally(() => process.exit(3));
  });
  try {
    const tSpawn = performance.now();
    sim = await startSimulatorChild(users);
    const origin = sim.origin;
    const simMem0 = await sim.memory();
    const rss0 = rssOf(sim.pid) ?? NaN;
    log(`simulator child pid ${sim.pid} with ${users} users up in ${ms(performance.now() - tSpawn)}: RSS ${mib(rss0)}, heap ${mib(simMem0.heapUsed)} (after forced GC)`);
    const status = async () => (await request(origin, 'GET', '/_sim/status')).body;
    const parked = async () => (JSON.parse(await status()) as { parkedPGets: number }).parkedPGets;

    // ------------------------------------------------------------------------------------- sign in and park
    const endpoints = Array.from({ length: users }, (_, i) => new Endpoint(`user${i}@example.com`, origin));
    const t0 = performance.now();
    const signInCpu = cpuMeter(sim.pid);
    let next = 0;
    let failures = 0;
    let firstFailure = '';
    const signInDone = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < endpoints.length && !stopped) {
          const ep = endpoints[next++];
          try {
            await ep.signIn();
          } catch (err) {
            failures++;
            firstFailure ||= (err as Error).message;
          }
        }
      }),
    );
    let maxParked = 0;
    let tAllParked = NaN;
    const watchParked = pollUntil(async () => {
      const p = await parked();
      maxParked = Math.max(maxParked, p);
      if (p >= users - failures && Number.isNaN(tAllParked)) tAllParked = performance.now() - t0;
      return !Number.isNaN(tAllParked);
    }, 180_000);
    await signInDone;
    const tSignedIn = performance.now() - t0;
    const cpuSignIn = signInCpu();
    await watchParked;
    log(`signed in, created and made available ${users - failures} applications in ${ms(tSignedIn)} (${((users - failures) / (tSignedIn / 1000)).toFixed(0)}/s at ${CONCURRENCY} at a time); failures ${failures}${firstFailure ? ` (first: ${firstFailure})` : ''}; CPU (share of one core) client ${pct(cpuSignIn.self)}, simulator ${pct(cpuSignIn.other)}`);
    log(`all ${users - failures} P-GETs parked after ${ms(tAllParked)} (max seen ${maxParked})`);

    // Steady state: every endpoint got the presence batch (5 s aggregation window) and parked again.
    const steady = await pollUntil(async () => endpoints.every((e) => e.batches >= 1 && e.pgetOutstanding) && (await parked()) >= users - failures, 60_000, 500);
    const tSteady = performance.now() - t0;
    const simMem1 = await sim.memory();
    const rss1 = rssOf(sim.pid) ?? NaN;
    const n = users - failures;
    const perPGet = { rss: (rss1 - rss0) / n, heap: (simMem1.heapUsed - simMem0.heapUsed) / n };
    log(
      `steady state${steady ? '' : ' (NOT reached)'} after ${ms(tSteady)}: ${await parked()} parked; simulator RSS ${mib(rss0)} -> ${mib(rss1)}, heap ${mib(simMem0.heapUsed)} -> ${mib(simMem1.heapUsed)}; ` +
        `per parked P-GET (with its application, token and socket): RSS ${kib(perPGet.rss)}, heap ${kib(perPGet.heap)}`,
    );
    log(`this client process: RSS ${mib(process.memoryUsage().rss)}; event channel errors seen: ${endpoints.reduce((s, e) => s + e.errors, 0)}`);
    Object.assign(summary, { parkMs: tAllParked, signInMs: tSignedIn, failures, perPGet, simRssMiB: rss1 / 2 ** 20, steady });
    if (failures > 0) problems.push(`${failures} application(s) could not be set up${firstFailure ? ` (first: ${firstFailure})` : ''}`);
    if (!steady) problems.push('steady state not reached');

    // ----------------------------------------------------------------------------- release with invitations
    const pick = (k: number, offset: number) => endpoints[Math.floor((k * n) / SAMPLE + offset) % n];
    const invite = async (ep: Endpoint, subject: string): Promise<number> => {
      const got = ep.nextInvitation();
      const t = performance.now();
      const res = await request(origin, 'POST', '/_sim/invitations', { json: { to: ep.upn, kind: 'messaging', subject, from: { name: 'Bench Caller', uri: 'sip:caller@example.com' }, answerWindowSeconds: 100_000 } });
      if (res.status !== 201) throw new Error(`admin POST answered ${res.status}`);
      const at = await Promise.race([got, new Promise<number>((r) => setTimeout(() => r(NaN), 30_000))]);
      return at - t;
    };
    const one: number[] = [];
    for (let k = 0; k < SAMPLE && !stopped; k++) one.push(await invite(pick(k, 0), `capacity ${k}`));
    const burst = await Promise.all(Array.from({ length: SAMPLE }, (_, k) => invite(pick(k, 1), `capacity burst ${k}`)));
    const oneStats = latencyStats(one.filter(Number.isFinite));
    const burstStats = latencyStats(burst.filter(Number.isFinite));
    log(`delivery latency with ${n} parked, one at a time:  ${formatLatency(oneStats)}`);
    log(`delivery latency with ${n} parked, ${SAMPLE} at once:   ${formatLatency(burstStats)}`);
    const undelivered = one.length + burst.length - oneStats.count - burstStats.count;
    if (undelivered > 0) problems.push(`${undelivered} invitation(s) not delivered within 30 s`);
    log(`not delivered within 30 s: ${undelivered}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
    Object.assign(summary, { delivery: oneStats, burst: burstStats });
  } finally {
    stopped = true;
    clearTimeout(deadline);
    agent.destroy();
    await sim?.stop();
  }
  report(summary);
}

/** What makes the run's numbers untrustworthy: printed at the end, and the exit code is 1. */
const problems: string[] = [];

main().then(
  () => {
    if (problems.length === 0) return process.exit(0);
    console.error(`[simulator-capacity] FAILED: ${problems.join('; ')}`);
    process.exit(1);
  },
  (err: Error) => {
    console.error(`[simulator-capacity] failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
