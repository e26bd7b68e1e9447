// NodeHttpTransport's cap on response size: a pool (or something pretending to be one) that sends a huge body is cut
// off early, whether it announces the size or streams without a length; the client gets ETOOLARGE, not an
// out-of-memory process.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UcwaNetworkError } from '../../src/ucwa/errors';
import { NodeHttpTransport } from '../../src/ucwa/http';

const CHUNK = Buffer.alloc(64 * 1024, 'a');
const TOTAL = 8 * 1024 * 1024;

describe('ucwa: the HTTP transport caps response size', () => {
  let server: http.Server;
  let written = 0;
  let closedEarly: Promise<boolean>;

  beforeEach(async () => {
    written = 0;
    let markClosed: (early: boolean) => void = () => undefined;
    closedEarly = new Promise((resolve) => (markClosed = resolve));
    server = http.createServer((req, res) => {
      const announce = req.url === '/announced';
      res.writeHead(200, { 'Content-Type': 'application/json', ...(announce ? { 'Content-Length': String(TOTAL) } : {}) });
      res.on('close', () => markClosed(written < TOTAL));
      const pump = () => {
        while (written < TOTAL) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const path of ['/announced', '/streamed']) {
    it(`${path === '/announced' ? 'a Content-Length over the cap' : 'a body without a length that grows past the cap'}: ETOOLARGE, and the connection is cut early`, async () => {
      const transport = new NodeHttpTransport(256 * 1024);
      try {
        const url = new URL(path, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        const err = await transport.send({ method: 'GET', url, headers: {}, timeoutMs: 10_000 }).then(
          () => assert.fail('the huge body must be refused'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof UcwaNetworkError, String(err));
        assert.equal(err.code, 'ETOOLARGE');
        assert.equal(await closedEarly, true, `the server could write only part of the body (${written} of ${TOTAL} bytes)`);
      } finally {
        transport.close();
      }
    });
  }

  it('a body under the cap arrives whole', async () => {
    const transport = new NodeHttpTransport(TOTAL + 1);
    try {
      const url = new URL('/announced', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const res = await transport.send({ method: 'GET', url, headers: {}, timeoutMs: 10_000 });
      assert.equal(res.body.length, TOTAL);
    } finally {
      transport.close();
    }
  });
});
