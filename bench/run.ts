// `npm run bench`: runs the benchmarks one after the other, each in its own process (so their memory readings do not
// mix), with their defaults, then prints a summary table. Extra arguments are passed to both (each ignores what it
// does not know), e.g. `npm run bench -- --accounts 500 --users 5000`.
import { fork } from 'node:child_process';
import path from 'node:path';
import { kib, ms, pct } from './common';

interface Stats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

type Summary = Record<string, unknown>;

function run(script: string, limitSeconds: number): Promise<{ code: number | null; summary?: Summary }> {
  return new Promise((resolve) => {
    const child = fork(path.join(__dirname, script), process.argv.slice(2), { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let summary: Summary | undefined;
    child.on('message', (m) => {
      const msg = m as { type: string; summary: Summary };
      if (msg.type === 'result') summary = msg.summary;
    });
    // A benchmark stops itself; this is the backstop if it cannot.
    const t = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, summary });
    });
  });
}

function row(name: string, value: string): string {
  return `| ${name.padEnd(50)} | ${value.padEnd(56)} |`;
}

function lat(s: unknown): string {
  const v = s as Stats | undefined;
  return v && v.count ? `p50 ${ms(v.p50)}, p99 ${ms(v.p99)}, max ${ms(v.max)} (n=${v.count})` : 'n/a';
}

function x(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}` : 'n/a';
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log('== bench 1/2: watcher-scale (the supervisor over N accounts in one process, simulator in a child) ==');
  const w = await run('watcher-scale.js', 420);
  console.log(`\n== bench 2/2: simulator-capacity (the simulator alone, parked P-GETs from a raw client) ==`);
  const c = await run('simulator-capacity.js', 420);

  const ws = w.summary ?? {};
  const cs = c.summary ?? {};
  const mem = ws.memPerAccount as { heapUsed: number; rss: number } | undefined;
  const per = cs.perPGet as { rss: number; heap: number } | undefined;
  const seq = ws.sequential as Stats | undefined;
  const loaded = ws.loaded as Stats | undefined;
  const one = cs.delivery as Stats | undefined;
  const cpu = ws.cpuLoad as { self: number; other: number } | undefined;
  const burst = cs.burst as Stats | undefined;
  const lines = [
    row('metric', 'value'),
    row('-'.repeat(50), '-'.repeat(56)),
    row(`watcher-scale: accounts (storage ${String(ws.storage ?? '?')})`, `${String(ws.accounts ?? '?')}${w.code === 0 ? '' : ` (exit ${w.code}${ws.timedOut ? ', timed out' : ''})`}`),
    row('  time until all connected / all P-GETs parked', `${ms(ws.connectMs as number)} / ${ms(ws.parkedMs as number)}`),
    row(`  memory per account${ws.gc ? ' (after forced GC)' : ''}`, mem ? `heap ${kib(mem.heapUsed)}, RSS ${kib(mem.rss)}` : 'n/a'),
    row('  event-to-record latency, one at a time', lat(seq)),
    row('  event-to-record latency, under load', lat(loaded)),
    row('  ratios p99/p50 (one at a time; under load)', `${x(seq?.p99, seq?.p50)}; ${x(loaded?.p99, loaded?.p50)}`),
    row('  ratio loaded p50 / one-at-a-time p50', x(loaded?.p50, seq?.p50)),
    row('  throughput under load', ws.throughput !== undefined ? `${(ws.throughput as number).toFixed(0)} invitations/s${cpu ? ` (CPU: watcher ${pct(cpu.self)}, simulator ${pct(cpu.other)})` : ''}` : 'n/a'),
    row(`simulator-capacity: parked P-GETs`, `${String(cs.users ?? '?')}${c.code === 0 ? '' : ` (exit ${c.code}${cs.timedOut ? ', timed out' : ''})`}`),
    row('  time to sign in all / to park all', `${ms(cs.signInMs as number)} / ${ms(cs.parkMs as number)}`),
    row('  simulator memory per parked P-GET', per ? `RSS ${kib(per.rss)}, heap ${kib(per.heap)}` : 'n/a'),
    row('  delivery latency, one at a time', lat(one)),
    row('  delivery latency, sample released at once', lat(burst)),
    row('  ratios p99/p50 (one at a time; at once)', `${x(one?.p99, one?.p50)}; ${x(burst?.p99, burst?.p50)}`),
  ];
  console.log(`\n== summary (${((Date.now() - t0) / 1000).toFixed(0)} s) ==\n${lines.join('\n')}`);
  process.exit(w.code === 0 && c.code === 0 ? 0 : 1);
}

void main();
