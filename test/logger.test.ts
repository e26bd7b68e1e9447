// The one logger: JSON lines, secrets redacted, errors with where they happened.
import assert from 'node:assert/strict';
import { JsonLogger } from '../src/logger';

describe('JsonLogger', () => {
  function capture(level: 'debug' | 'info' = 'info') {
    const lines: string[] = [];
    return { lines, log: new JsonLogger(level, (l) => lines.push(l)) };
  }

  it('writes one JSON object per line with the level, message, base fields and call fields', () => {
    const { lines, log } = capture();
    log.child({ account: 'a1' }).warn('event channel retry', { attempt: 2 });
    log.debug('dropped below the level');
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.level, 'warn');
    assert.equal(entry.message, 'event channel retry');
    assert.equal(entry.account, 'a1');
    assert.equal(entry.attempt, 2);
  });

  it('keeps an error stack (where it happened), its code and its cause, all redacted', () => {
    const { lines, log } = capture();
    const cause = Object.assign(new Error('socket hang up Authorization: Bearer eyJhbGciOi.secret.sig'), { code: 'ECONNRESET' });
    const err = new Error('sign-in failed for password=hunter2', { cause });
    log.error('sign-in failed', { error: err });
    assert.equal(lines.length, 1, 'a stack does not break the one-line rule');
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.error.name, 'Error');
    assert.match(entry.error.stack, /logger\.test/, 'the stack names the file it came from');
    assert.ok(!entry.error.stack.startsWith('Error:'), 'the message is not repeated in the stack');
    assert.equal(entry.error.cause.code, 'ECONNRESET');
    assert.ok(!lines[0].includes('hunter2') && !lines[0].includes('eyJhbGciOi'), lines[0]);
  });

  it('stays valid JSON when a message quotes an Authorization header, and masks secret-named fields', () => {
    const { lines, log } = capture();
    log.warn('request failed: Authorization: Bearer abc.def.ghi', { headers: { Authorization: 'Bearer abc.def.ghi', accept: 'application/json' }, password: 'hunter2', after: 'kept' });
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.after, 'kept', 'fields after the quoted header survive');
    assert.equal(entry.headers.accept, 'application/json');
    assert.ok(!lines[0].includes('abc.def.ghi') && !lines[0].includes('hunter2'), lines[0]);
  });
});
