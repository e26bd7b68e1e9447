// Benchmark: N accounts watched by one WatcherSupervisor in THIS process, against the simulator in a child process.
// Measures the time until every account is connected, heap and RSS per account (process.memoryUsage() before and
// after, after a forced GC when run with --expose-gc), then sends invitations through the simulator's admin API and
// measures event-to-record latency: from the admin POST to the supervisor's persisted change of the new record.
//
//   node --expose-gc dist/bench/watcher-scale.js [--accounts 1000] [--invitations 2000] [--concurrency 50]
//        [--sequential 200] [--storage sqlite|memory] [--max-seconds 300]
//
// Only 127.0.0.1. Bounded in time: it stops itself (and the simulator) at --max-seconds with what it has.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger';
import { ClosableStorage, createRepositories, MemoryStorage, SqliteStorage } from '../src/store';
import { PasswordTokenProvider } from '../src/ucwa/auth';
import { NodeHttpTransport } from '../src/ucwa/http';
import { WatcherSupervisor } from '../src/watcher';
import { arg, cpuMeter, formatLatency, hardDeadline, kib, latencyStats, memoryNow, mib, ms, numArg, openFilesLimit, pct, ratio, report, rssOf, SimChild, startSimulatorChild, pollUntil } from './common';

const ACCOUNTS = numArg('accounts', 1000);
const INVITATIONS = numArg('invitations', 2000);
const CONCURRENCY = Math.max(1, numArg('concurrency', 50));
const SEQUENTIAL = numArg('sequential', 200);
const STORAGE = arg('storage', 'sqlite');
const MAX_SECONDS = numArg('max-seconds', 300);

function log(line: string): void {
  console.log(`[watcher-scale] ${line}`);
}

async function main(): Promise<void> {
  const limits = openFilesLimit();
  log(`accounts ${ACCOUNTS}, invitations ${SEQUENTIAL} sequential + ${INVITATIONS} at concurrency ${CONCURRENCY}, storage ${STORAGE}; open files: ulimit -n ${limits.ulimit} (soft ${limits.soft}, hard ${limits.hard})`);
  const started = Date.now();
  let sim: SimChild | undefined;
  let dir: string | undefined;
  let storage: ClosableStorage | undefined;
  const transport = new NodeHttpTransport();
  let stopping = false;
  const summary: Record<string, unknown> = { accounts: ACCOUNTS, storage: STORAGE };
  const deadline = hardDeadline(MAX_SECONDS, () => {
    stopping = true;
    report({ ...summary, timedOut: true });
    void sim?.stop().finally(() => process.exit(3));
  });

  try {
    sim = await startSimulatorChild(ACCOUNTS);
    const origin = sim.origin;
    log(`simulator child pid ${sim.pid} at ${origin} (RSS ${mib(rssOf(sim.pid) ?? 0)})`);
    if (STORAGE === 'sqlite') {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bench-watcher-'));
      storage = new SqliteStorage(path.join(dir, 'bench.db'));
    } else storage = new MemoryStorage();
    const repos = createRepositories(storage);
    const sup = new WatcherSupervisor({ transport, repositories: repos, logger: silentLogger });

    // -------------------------------------------------------------------------------------------- connect
    const mem0 = memoryNow();
    const t0 = performance.now();
    const connectCpu = cpuMeter(sim.pid);
    const users = Array.from({ length: ACCOUNTS }, (_, i) => `user${i}@example.com`);
    for (const upn of users) {
      sup.start({ accountId: upn, sip: `sip:${upn}`, discovery: { discoveryUrl: sim.discoveryUrl }, tokens: new PasswordTokenProvider(transport, { username: upn, password: 'demo' }) });
    }
    const parked = async () => ((await (await fetch(`${origin}/_sim/status`)).json()) as { parkedPGets: number }).parkedPGets;
    const allConnected = await pollUntil(() => sup.statuses().every((s) => s.state === 'connected'), 120_000);
    const tConnected = performance.now() - t0;
    const allParked = await pollUntil(async () => (await parked()) >= ACCOUNTS, 60_000);
    const tParked = performance.now() - t0;
    const cpuConnect = connectCpu();
    if (!allConnected || !allParked) problems.push(`not every account connected and listening (${sup.statuses().filter((s) => s.state === 'connected').length}/${ACCOUNTS} connected)`);
    log(`connected: ${sup.statuses().filter((s) => s.state === 'connected').length}/${ACCOUNTS} in ${ms(tConnected)}; P-GETs parked: ${await parked()} after ${ms(tParked)}${allConnected && allParked ? '' : ' (INCOMPLETE)'}; CPU (share of one core) watcher process ${pct(cpuConnect.self)}, simulator ${pct(cpuConnect.other)}`);
    // Steady state: the presence batch that follows makeMeAvailable (5 s aggregation window) has been received.
    const settled = await pollUntil(() => sup.statuses().every((s) => s.lastEventAt !== undefined), 30_000, 200);
    await pollUntil(async () => (await parked()) >= ACCOUNTS, 10_000);
    const mem1 = memoryNow();
    const simMem1 = await sim.memory();
    const perAccount = {
      heapUsed: (mem1.heapUsed - mem0.heapUsed) / ACCOUNTS,
      rss: (mem1.rss - mem0.rss) / ACCOUNTS,
      external: (mem1.external + mem1.arrayBuffers - mem0.external - mem0.arrayBuffers) / ACCOUNTS,
    };
    log(
      `memory${mem1.gc ? ' (after forced GC)' : ' (no --expose-gc: without forced GC)'}${settled ? '' : ' (not every account had its first batch yet)'}: ` +
        `heap ${mib(mem0.heapUsed)} -> ${mib(mem1.heapUsed)}, RSS ${mib(mem0.rss)} -> ${mib(mem1.rss)}; ` +
        `per account: heap ${kib(perAccount.heapUsed)}, RSS ${kib(perAccount.rss)}, external+buffers ${kib(perAccount.external)}`,
    );
    log(`simulator child: RSS ${mib(rssOf(sim.pid) ?? 0)}, heap ${mib(simMem1.heapUsed)} for ${ACCOUNTS} applications`);
    Object.assign(summary, { connectMs: tConnected, parkedMs: tParked, connected: allConnected && allParked, memPerAccount: perAccount, heapMiB: mem1.heapUsed / 2 ** 20, rssMiB: mem1.rss / 2 ** 20, gc: mem1.gc });

    // ------------------------------------------------------------------------------------- invitations
    const sentAt = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const latencies: Record<'sequential' | 'loaded', number[]> = { sequential: [], loaded: [] };
    let phase: 'sequential' | 'loaded' = 'sequential';
    sup.onChange((c) => {
      const subject = c.record.subject;
      if (!subject || !sentAt.has(subject) || c.record.version !== 1) return;
      latencies[phase].push(performance.now() - sentAt.get(subject)!);
      sentAt.delete(subject);
      waiters.get(subject)?.();
      waiters.delete(subject);
    });
    const adminRtt: number[] = [];
    let sent = 0;
    const invite = async (n: number): Promise<void> => {
      const subject = `bench ${n}`;
      const recorded = new Promise<void>((resolve) => waiters.set(subject, resolve));
      const t = performance.now();
      sentAt.set(subject, t);
      const res = await fetch(`${origin}/_sim/invitations`, {
        method: 'POST',
        body: JSON.stringify({ to: users[n % ACCOUNTS], kind: n % 3 === 0 ? 'messaging' : n % 3 === 1 ? 'onlineMeeting' : 'audioVideo', subject, from: { name: 'Bench Caller', uri: 'sip:caller@example.com' }, answerWindowSeconds: 100_000 }),
      });
      adminRtt.push(performance.now() - t);
      if (res.status !== 201) throw new Error(`admin POST answered ${res.status}: ${await res.text()}`);
      sent++;
      // Bounded: a record that never comes is counted as lost, not waited for forever.
      await Promise.race([recorded, new Promise((r) => setTimeout(r, 30_000))]);
    };

    for (let n = 0; n < SEQUENTIAL && !stopping; n++) await invite(n);
    phase = 'loaded';
    const tLoad0 = performance.now();
    const loadCpu = cpuMeter(sim.pid);
    // The admin client shares this event loop with the watchers: its delay is part of every number below.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let next = SEQUENTIAL;
    const end = SEQUENTIAL + INVITATIONS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < end && !stopping) await invite(next++);
      }),
    );
    const loadMs = performance.now() - tLoad0;
    const cpuLoad = loadCpu();
    loopDelay.disable();
    const lag = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    const seq = latencyStats(latencies.sequential);
    const loaded = latencyStats(latencies.loaded);
    const rtt = latencyStats(adminRtt);
    const lost = sentAt.size;
    if (lost > 0) problems.push(`${lost} invitation(s) never recorded`);
    log(`event-to-record latency, one at a time:        ${formatLatency(seq)}`);
    log(`event-to-record latency, ${CONCURRENCY} in flight:         ${formatLatency(loaded)}`);
    log(`throughput under load: ${(latencies.loaded.length / (loadMs / 1000)).toFixed(0)} invitations/s recorded (${latencies.loaded.length} in ${ms(loadMs)}); admin POST round trip p50 ${ms(rtt.p50)}, p99 ${ms(rtt.p99)}; never recorded: ${lost}`);
    log(`CPU under load (share of one core; 2 cores here): watcher process ${pct(cpuLoad.self)}, simulator ${pct(cpuLoad.other)}; watcher event-loop delay p50 ${ms(lag.p50)}, p99 ${ms(lag.p99)}, max ${ms(lag.max)}`);
    log(`ratios: loaded p50 / unloaded p50 ${ratio(loaded.p50, seq.p50)}, loaded p99 / unloaded p99 ${ratio(loaded.p99, seq.p99)}`);
    const mem2 = memoryNow();
    log(`memory after ${sent} invitations: heap ${mib(mem2.heapUsed)}, RSS ${mib(mem2.rss)}; simulator child RSS ${mib(rssOf(sim.pid) ?? 0)}`);
    Object.assign(summary, { sequential: seq, loaded, throughput: latencies.loaded.length / (loadMs / 1000), cpuLoad, lag, lost, invitations: sent });

    // ------------------------------------------------------------------------------------------- stop
    const tStop = performance.now();
    await Promise.race([sup.stopAll(), new Promise((r) => setTimeout(r, 30_000))]);
    log(`stopped (signed out) ${ACCOUNTS} accounts in ${ms(performance.now() - tStop)}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    clearTimeout(deadline);
    transport.close();
    await storage?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await sim?.stop();
  }
  report(summary);
}

/** What makes the run's numbers untrustworthy: printed at the end, and the exit code is 1. */
const problems: string[] = [];

main().then(
  () => {
    if (problems.length === 0) return process.exit(0);
    console.error(`[watcher-scale] FAILED: ${problems.join('; ')}`);
    process.exit(1);
  },
  (err: Error) => {
    console.error(`[watcher-scale] failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);

