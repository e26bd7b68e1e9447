// The retry policy shared by the event channel, the application lifecycle and the Teams sender.
import assert from 'node:assert/strict';
import { backoffDelay, MAX_RETRY_AFTER_MS } from '../../src/ucwa/backoff';

describe('ucwa: backoff with full jitter and Retry-After', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000 };

  it('grows exponentially up to the maximum, with the jitter spread over the whole range', () => {
    assert.deepEqual([0, 1, 2, 3, 10, 40].map((attempt) => backoffDelay(policy, attempt, undefined, () => 0.999999)), [999, 1999, 3999, 7999, 59999, 59999]);
    assert.equal(backoffDelay(policy, 5, undefined, () => 0), 0, 'full jitter reaches down to zero');
  });

  it('waits at least as long as Retry-After asks', () => {
    assert.equal(backoffDelay(policy, 0, 7, () => 0.5), 7_000);
    assert.equal(backoffDelay(policy, 10, 1, () => 0.5), 30_000, 'a short Retry-After does not shorten the backoff');
  });

  it('cuts a Retry-After longer than the session could survive (huge values would overflow setTimeout into 1 ms)', () => {
    assert.equal(backoffDelay(policy, 0, 3_600, () => 0.5), MAX_RETRY_AFTER_MS);
    assert.equal(backoffDelay(policy, 0, 99_999_999_999, () => 0.5), MAX_RETRY_AFTER_MS);
    assert.ok(MAX_RETRY_AFTER_MS < 300_000, 'inside the 5-minute P-GET idle window of a web application');
    assert.equal(backoffDelay({ ...policy, maxRetryAfterMs: 10_000 }, 0, 60, () => 0.5), 10_000, 'the cap is a policy option');
  });

  it('ignores a Retry-After that is not a usable number', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -5]) assert.equal(backoffDelay(policy, 0, bad, () => 0.5), 500, String(bad));
  });
});
