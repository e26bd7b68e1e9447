// Silences exactly one known, harmless Node warning so that start-up output stays clean (a bad configuration must
// print one line and nothing else). restify 11 loads spdy -> http-deceiver, which reads
// process.binding('http_parser') when it is required; Node reports that as DEP0111 (twice) on every start. restify
// uses spdy only when asked to serve HTTP/2, which this bot never does. Every other warning, including any other
// DEP0111, still goes through. Import this module before anything that loads restify.
const KNOWN = "process.binding('http_parser')";

const original = process.emitWarning;

function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
  const options = rest[0];
  const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : rest[1];
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (code === 'DEP0111' && typeof text === 'string' && text.includes(KNOWN)) return;
  return (original as (...args: unknown[]) => void).call(this, warning, ...rest);
}

process.emitWarning = filtered as typeof process.emitWarning;

export {};
