// The retry policy shared by the event channel, the application lifecycle and the Teams sender.
import assert from 'node:assert/strict';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from '../../src/ucwa/backoff';
import sinon from 'sinon';

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

  describe('parseRetryAfter (the one parser, for UCWA and Teams answers)', () => {
    const now = Date.parse('2026-12-05T10:00:00Z');

    it('reads delay-seconds and HTTP dates (rounded up, never negative)', () => {
      assert.equal(parseRetryAfter('120', now), 120);
      assert.equal(parseRetryAfter(' 7 ', now), 7);
      assert.equal(parseRetryAfter(['3', '9'], now), 3, 'a repeated header: the first one');
      assert.equal(parseRetryAfter('Sat, 05 Dec 2026 10:00:30 GMT', now), 30);
      assert.equal(parseRetryAfter('Sat, 05 Dec 2026 09:00:00 GMT', now), 0, 'a date in the past means now');
    });

    it('is undefined for an absent or garbled header', () => {
      for (const bad of [undefined, null, '', '  ', 'soon', '-5', '1.5e3']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
    });
  });

  describe('sleep', () => {
    it('follows the (fake) clock and rejects with an AbortError when aborted', async () => {
      const clock = sinon.useFakeTimers();
      try {
        let done = false;
        const p = sleep(1_000).then(() => (done = true));
        await clock.tickAsync(999);
        assert.equal(done, false);
        await clock.tickAsync(1);
        await p;
        assert.equal(done, true);
        const controller = new AbortController();
        const aborted = sleep(60_000, controller.signal);
        controller.abort();
        await assert.rejects(aborted, { name: 'AbortError' });
      } finally {
        clock.restore();
      }
    });
  });
});
