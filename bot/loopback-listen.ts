// Preloaded (`node --require`) into Microsoft 365 Agents Playground, which has no host option: every server it
// starts without naming a host listens on the loopback address only, never on all interfaces.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;

/** `listen(port, cb)`, `listen(port)`, `listen(port, undefined, ...)` and `listen({port})` name no host; those get the loopback address. */
function withLoopbackHost(args: unknown[]): unknown[] {
  const [first, second] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof second === 'string') return args;
    // listen(port, undefined, backlog, cb): an empty host slot is filled, not shifted.
    if (args.length > 2 && (second === undefined || second === null)) return [first, LOOPBACK, ...args.slice(2)];
    return [first, LOOPBACK, ...args.slice(1)];
  }
  if (first && typeof first === 'object' && !('path' in first) && !('host' in first) && !('fd' in first) && !('handle' in first) && !('_handle' in first)) {
    return [{ ...first, host: LOOPBACK }, ...args.slice(1)];
  }
  return args;
}

net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]) {
  return (listen as (...a: unknown[]) => net.Server).apply(this, withLoopbackHost(args));
} as typeof net.Server.prototype.listen;

export { withLoopbackHost };
