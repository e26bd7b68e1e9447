// The ownership settings: defaults, and one line naming the variable for each bad value.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { ConfigError, loadConfig } from '../../bot/config';

function rejects(env: Record<string, string>, variable: string, problem: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => err instanceof ConfigError && err.variable === variable && problem.test(err.message) && !err.message.includes('\n'),
  );
}

describe('ownership configuration (INSTANCE_ID, OWNERSHIP_*)', () => {
  it('defaults: host name and process id, 64 partitions, 30 s lease renewed every 10 s', () => {
    assert.deepEqual(loadConfig({}).ownership, { instanceId: `${hostname()}-${process.pid}`, partitions: 64, leaseSeconds: 30, renewSeconds: 10 });
  });

  it('takes the configured values', () => {
    const env = { INSTANCE_ID: 'bot-a', OWNERSHIP_PARTITIONS: '16', OWNERSHIP_LEASE_SECONDS: '60', OWNERSHIP_RENEW_SECONDS: '15' };
    assert.deepEqual(loadConfig(env).ownership, { instanceId: 'bot-a', partitions: 16, leaseSeconds: 60, renewSeconds: 15 });
  });

  it('stops start-up on a bad value, naming the variable', () => {
    rejects({ INSTANCE_ID: 'has spaces' }, 'INSTANCE_ID', /letters, digits/);
    rejects({ OWNERSHIP_PARTITIONS: '0' }, 'OWNERSHIP_PARTITIONS', /from 1 to 1024/);
    rejects({ OWNERSHIP_PARTITIONS: 'many' }, 'OWNERSHIP_PARTITIONS', /whole number/);
    rejects({ OWNERSHIP_LEASE_SECONDS: '2' }, 'OWNERSHIP_LEASE_SECONDS', /from 5/);
    rejects({ OWNERSHIP_LEASE_SECONDS: '30', OWNERSHIP_RENEW_SECONDS: '20' }, 'OWNERSHIP_RENEW_SECONDS', /half of OWNERSHIP_LEASE_SECONDS/);
  });
});
