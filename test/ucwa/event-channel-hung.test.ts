// A pool that accepts a P-GET and never answers it (no headers, no body, no reset): the client gives the P-GET up
// PGET_CLIENT_MARGIN_SECONDS after the hold it asked for, and asks the same URL again; the loop carries on from the
// answer. Time is faked (setTimeout only), the HTTP exchange is real.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { UcwaNetworkError } from '../../src/ucwa/errors';
import { EventChannel, PGET_CLIENT_MARGIN_SECONDS } from '../../src/ucwa/event-channel';
import { NodeHttpTransport } from '../../src/ucwa/http';
import { UcwaSession } from '../../src/ucwa/session';

const EVENTS_PATH = '/ucwa/oauth/v1/applications/7/events';

/** Holds every P-GET forever but the second, which it answers at once with an empty batch pointing one further. */
class HungPool {
  readonly paths: string[] = [];
  private server?: http.Server;
  private arrivals: Array<() => void> = [];
  origin = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.paths.push(req.url ?? '');
      this.arrivals.splice(0).forEach((wake) => wake());
      if (this.paths.length !== 2) return; // accepted, never answered
      const ack = this.paths.length;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ _links: { self: { href: `${EVENTS_PATH}?ack=${ack - 1}` }, next: { href: `${EVENTS_PATH}?ack=${ack}` } }, sender: [] }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * Resolves once the pool has received `n` requests. Real I/O runs meanwhile, and `due()` (when given) runs the fake
   * timers that are due (the zero-delay retry wait); mocha's timeout bounds the wait.
   */
  async received(n: number, due: () => Promise<unknown> = async () => undefined): Promise<void> {
    while (this.paths.length < n) {
      await due();
      await new Promise<void>((resolve) => {
        const t = setImmediate(resolve);
        this.arrivals.push(() => {
          clearImmediate(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('UCWA event channel: a P-GET the pool never answers', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  let pool: HungPool;
  let transport: NodeHttpTransport;
  beforeEach(async () => {
    pool = await new HungPool().start();
    transport = new NodeHttpTransport();
  });
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    transport.close();
    await pool.stop();
  });

  it(`is given up ${PGET_CLIENT_MARGIN_SECONDS} s after its hold (195 s for timeout=180), and the same URL is asked again`, async () => {
    assert.equal(PGET_CLIENT_MARGIN_SECONDS, 15, 'the margin the README documents');
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout'] });
    const session = new UcwaSession({ transport, tokens: { authorization: async () => 'Bearer test-token' } });
    session.origins.trust(pool.origin);
    const retries: Error[] = [];
    let batches = 0;
    const controller = new AbortController();
    const channel = new EventChannel(session, `${pool.origin}${EVENTS_PATH}?ack=1`, {
      timeoutSeconds: 180,
      random: () => 0,
      onRetry: (err) => retries.push(err),
      onBatch: async () => {
        batches++;
      },
    });
    const ended = channel.run(controller.signal).catch((err: unknown) => err);
    // A zero-delay timer set during a tick is due 1 ms later (fake-timers): this runs the retry's wait.
    const due = () => clock!.tickAsync(1);

    // Not a single fake millisecond passes before it arrives: the P-GET's timer starts at this clock reading.
    await pool.received(1);
    await clock.tickAsync(194_999);
    assert.equal(retries.length, 0, 'still waiting just before hold + margin');
    assert.equal(pool.paths.length, 1);

    await clock.tickAsync(1);
    assert.equal(retries.length, 1, 'given up at hold + margin');
    await pool.received(2, due);
    assert.ok(retries[0] instanceof UcwaNetworkError && retries[0].code === 'ETIMEDOUT', retries[0].message);
    assert.equal(pool.paths[1], pool.paths[0], 'the timed-out URL is asked again, unchanged');
    assert.equal(pool.paths[0], `${EVENTS_PATH}?ack=1&timeout=180`);

    // The answer to the retry is taken and the loop follows its `next`.
    await pool.received(3, due);
    assert.equal(batches, 1);
    assert.equal(pool.paths[2], `${EVENTS_PATH}?ack=2&timeout=180`);

    controller.abort();
    const end = (await ended) as Error;
    assert.equal(end.name, 'AbortError');
  });
});
