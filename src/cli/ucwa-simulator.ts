#!/usr/bin/env node
// `ucwa-simulator`: runs the UCWA simulator on a port and prints its discovery URL.
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, loadUsersFile, UcwaSimulator } from '../simulator';
import type { SimulatorOptions } from '../simulator';

const USAGE = `usage: ucwa-simulator [--port N] [--host ADDR] [--users FILE] [--time-scale X] [--secondary-pool]
                      [--joined-challenge] [--gone-status 404|410] [--late-action notFound|conflict|acceptedThenFailed]
Without --users it serves demo users (alexw@example.com, meganb@example.com, ...; password "${DEMO_PASSWORD}").`;

export function parseSimulatorArgs(argv: string[]): Partial<SimulatorOptions> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8081' },
      host: { type: 'string', default: '127.0.0.1' },
      users: { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
      'secondary-pool': { type: 'boolean', default: false },
      'joined-challenge': { type: 'boolean', default: false },
      'gone-status': { type: 'string', default: '404' },
      'late-action': { type: 'string', default: 'notFound' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  // Digits only: Number('') is 0 and Number('0x50') is 80, neither of which the user meant.
  const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${values.port}"`);
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0)) throw new UsageError(`--time-scale must be a positive number, got ${values['time-scale']}`);
  const gone = Number(values['gone-status']);
  if (gone !== 404 && gone !== 410) throw new UsageError('--gone-status must be 404 or 410');
  const late = values['late-action'];
  if (late !== 'notFound' && late !== 'conflict' && late !== 'acceptedThenFailed') throw new UsageError('--late-action must be notFound, conflict or acceptedThenFailed');
  const options: Partial<SimulatorOptions> = {
    port,
    host: values.host,
    timeScale,
    secondaryPool: values['secondary-pool'],
    challengeStyle: values['joined-challenge'] ? 'joined' : 'separate',
    applicationGoneStatus: gone,
    lateActionBehaviour: late,
  };
  if (values.users) options.users = loadUsersFile(values.users);
  return options;
}

class UsageError extends Error {}

async function main(): Promise<void> {
  let options: Partial<SimulatorOptions>;
  try {
    options = parseSimulatorArgs(process.argv.slice(2));
  } catch (err) {
    const msg = (err as Error).message;
    // A bad value stops start-up with one clear line (the usage text only on --help).
    if (msg) console.error(`ucwa-simulator: ${msg.split('\n')[0]} (see --help)`);
    else console.log(USAGE);
    process.exit(msg ? 2 : 0);
  }
  const sim = await new UcwaSimulator(options).start();
  console.log(`UCWA simulator: discovery URL ${sim.discoveryUrl} (admin API at ${sim.origin}/_sim/, ${sim.users.all().length} users)`);
  if (sim.secondaryOrigin) console.log(`secondary pool at ${sim.secondaryOrigin}`);
  const shutdown = () => void sim.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`ucwa-simulator: ${err.message}`);
    process.exit(1);
  });
}
