// Shared helpers of the benchmarks: arguments, the simulator child process, memory readings, percentiles, output.
// Benchmarks print numbers; they never assert wall-clock limits.
import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** `--name value` or `--name=value`; the default when absent. */
export function arg(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1] ?? fallback;
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return fallback;
}

export function numArg(name: string, fallback: number): number {
  const raw = arg(name, String(fallback));
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got ${raw}`);
    process.exit(2);
  }
  return n;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function latencyStats(values: number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean };
}

export function ms(v: number): string {
  return Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : 'n/a';
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function ratio(a: number, b: number): string {
  return b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : 'n/a';
}

export function formatLatency(s: LatencyStats): string {
  return `n=${s.count} p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)} (p99/p50 ${ratio(s.p99, s.p50)}, max/p50 ${ratio(s.max, s.p50)})`;
}

/** This process's memory after a forced GC when `--expose-gc` is on. */
export function memoryNow(): NodeJS.MemoryUsage & { gc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return { ...process.memoryUsage(), gc: gc !== undefined };
}

/** Resident set of another process, from /proc (Linux). */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, ms) used so far by another process, from /proc (Linux; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime field 14 and stime field 15 (proc(5)).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** CPU used by this process and another one over a phase, as a share of one core. */
export function cpuMeter(otherPid: number): () => { self: number; other: number } {
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const other0 = cpuMsOf(otherPid) ?? NaN;
  return () => {
    const wall = performance.now() - t0;
    const self = process.cpuUsage(self0);
    return { self: (self.user + self.system) / 1000 / wall, other: ((cpuMsOf(otherPid) ?? NaN) - other0) / wall };
  };
}

export function pct(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(0)}%` : 'n/a';
}

/** The open-files limit of this process (soft/hard), as `ulimit -n` would say it. */
export function openFilesLimit(): { soft: string; hard: string; ulimit: string } {
  let soft = '?';
  let hard = '?';
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) [soft, hard] = [m[1], m[2]];
  } catch {
    // not Linux
  }
  let ulimit = '?';
  try {
    ulimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // no shell
  }
  return { soft, hard, ulimit };
}

export interface SimChild {
  child: ChildProcess;
  pid: number;
  origin: string;
  discoveryUrl: string;
  /** The child's process.memoryUsage() after a forced GC (it runs with --expose-gc). */
  memory(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

/**
 * Starts the simulator in a child process (bench/sim-child.js) with `users` generated users. Only 127.0.0.1.
 */
export function startSimulatorChild(users: number, options: { timeScale?: number; startTimeoutMs?: number } = {}): Promise<SimChild> {
  const child = fork(path.join(__dirname, 'sim-child.js'), ['--users', String(users), '--time-scale', String(options.timeScale ?? 1)], {
    execArgv: ['--expose-gc', '--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const pending = new Map<number, (m: NodeJS.MemoryUsage) => void>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the simulator child did not start in time'));
    }, options.startTimeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulator child exited early (${code})`));
    });
    child.on('message', (raw) => {
      const m = raw as { type: string; id?: number; usage?: NodeJS.MemoryUsage; origin?: string; discoveryUrl?: string };
      if (m.type === 'memory' && m.id !== undefined) pending.get(m.id)?.(m.usage!);
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        child,
        pid: child.pid!,
        origin: m.origin!,
        discoveryUrl: m.discoveryUrl!,
        memory: () =>
          new Promise((res, rej) => {
            const id = ++seq;
            const t = setTimeout(() => rej(new Error('no memory answer from the simulator child')), 10_000);
            pending.set(id, (u) => {
              clearTimeout(t);
              pending.delete(id);
              res(u);
            });
            child.send({ type: 'memory', id });
          }),
        stop: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null) return res();
            const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(t);
              res();
            });
            child.send({ type: 'stop' });
          }),
      });
    });
  });
}

/** Sends the benchmark's summary to bench/run.js when it runs under it. */
export function report(summary: Record<string, unknown>): void {
  if (process.send) process.send({ type: 'result', summary });
}

/** A deadline that ends the benchmark (with what it has) rather than letting it run on. */
export function hardDeadline(seconds: number, onExpire: () => void): NodeJS.Timeout {
  const t = setTimeout(() => {
    console.error(`time limit of ${seconds} s reached: stopping`);
    onExpire();
  }, seconds * 1000);
  t.unref();
  return t;
}

/** Polls `pred` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function pollUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return pred();
}
