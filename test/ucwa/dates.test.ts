import assert from 'node:assert/strict';
import { parseUcwaDate } from '../../src/ucwa/dates';

const ms = (value: unknown): number | undefined => parseUcwaDate(value)?.getTime();

describe('ucwa/dates', () => {
  it('parses the ASP.NET AJAX form, escaped or not', () => {
    assert.equal(ms('/Date(1383784870271)/'), 1383784870271);
    assert.equal(ms('\\/Date(1383784870271)\\/'), 1383784870271);
    assert.equal(ms(' /Date(0)/ '), 0);
    assert.equal(ms('/Date(-86400000)/'), -86400000);
  });

  it('treats the offset as the sender time zone: the instant is the UTC milliseconds', () => {
    assert.equal(ms('/Date(1383784870271+0100)/'), 1383784870271);
    assert.equal(ms('\\/Date(1383784870271-0530)\\/'), 1383784870271);
  });

  it('parses ISO 8601 as XML writes it, with 7 fractional digits and offsets', () => {
    assert.equal(parseUcwaDate('2014-06-02T21:00:13.1350704Z')?.toISOString(), '2014-06-02T21:00:13.135Z');
    assert.equal(parseUcwaDate('2014-06-02T21:00:13Z')?.toISOString(), '2014-06-02T21:00:13.000Z');
    assert.equal(parseUcwaDate('2014-06-02T23:00:13.5+02:00')?.toISOString(), '2014-06-02T21:00:13.500Z');
    assert.equal(parseUcwaDate('2014-06-02T16:30:13-0430')?.toISOString(), '2014-06-02T21:00:13.000Z');
    assert.equal(parseUcwaDate('2014-06-02')?.toISOString(), '2014-06-02T00:00:00.000Z');
  });

  it('reads an ISO date without zone as UTC, independent of the host time zone', () => {
    assert.equal(parseUcwaDate('2014-06-02T21:00:13')?.toISOString(), '2014-06-02T21:00:13.000Z');
  });

  it('returns undefined for anything else, never an Invalid Date', () => {
    for (const bad of [
      undefined,
      null,
      1383784870271,
      '',
      'yesterday',
      '/Date()/',
      '/Date(abc)/',
      '/Date(1383784870271+01)/',
      'Date(1383784870271)',
      '/Date(99999999999999999999)/',
      '2014-02-30T00:00:00Z',
      '2014-13-01',
      '2014-06-02T25:00:00Z',
      '2014-06-02T21:00:13+25:00',
    ]) {
      assert.equal(parseUcwaDate(bad), undefined, String(bad));
    }
  });
});
