// botbuilder reports token failures with console.error (multi-line stack traces, key material, one line per refused
// request). In the bot process every line must be one JSON object and a flood must not reach the log, so
// console.error and console.warn go through the rejection log: the first line of what was printed, shortened,
// rate-limited like the refusals that cause it. console.log (the demo's banner on stdout) is left alone.
import { format } from 'node:util';
import type { RejectionLog } from './rejection-log';

const MAX_TEXT = 200;

export function routeLibraryConsole(rejections: RejectionLog): () => void {
  const original = { error: console.error, warn: console.warn };
  const capture =
    (stream: 'error' | 'warn') =>
    (...args: unknown[]): void => {
      const first = format(...args).split('\n', 1)[0].trim();
      rejections.record('library-output', { stream, text: first.length > MAX_TEXT ? `${first.slice(0, MAX_TEXT)}...` : first });
    };
  console.error = capture('error');
  console.warn = capture('warn');
  return () => {
    console.error = original.error;
    console.warn = original.warn;
  };
}
