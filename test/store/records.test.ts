// Invitation ids and event folding, on their own (the state rules: invitation-state.test.ts).
import assert from 'node:assert/strict';
import { mergeInvitation } from '../../src/store/invitation-merge';
import { storageKeys } from '../../src/store/keys';
import {
  accountKeyFor,
  invitationIdFor,
  isInvitationId,
} from '../../src/store/records';
import { ACCOUNT, HREF, upsertInput } from './helpers';

describe('invitation ids', () => {
  it('are stable, URL-safe, free of the account and href text, and start with the account key', () => {
    const id = invitationIdFor(ACCOUNT, HREF);
    assert.equal(id, invitationIdFor(ACCOUNT, HREF));
    assert.match(id, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.equal(encodeURIComponent(id), id);
    assert.ok(isInvitationId(id));
    assert.ok(id.startsWith(`${accountKeyFor(ACCOUNT)}.`));
    for (const fragment of ['alice', 'contoso', 'inv-1', 'ucwa']) assert.ok(!id.toLowerCase().includes(fragment));
    assert.ok(!storageKeys.account(ACCOUNT).includes('alice'));
  });

  it('differ by account and by invitation', () => {
    const ids = new Set([
      invitationIdFor(ACCOUNT, HREF),
      invitationIdFor('bob@contoso.com', HREF),
      invitationIdFor(ACCOUNT, `${HREF}2`),
      // The separator keeps account/href boundaries apart.
      invitationIdFor(`${ACCOUNT}/x`, HREF.slice(1)),
    ]);
    assert.equal(ids.size, 4);
  });

  it('isInvitationId rejects anything else arriving from card data', () => {
    for (const bad of ['', 'abc', 'x'.repeat(39), `${invitationIdFor(ACCOUNT, HREF)}/..`, 42, null, undefined]) {
      assert.equal(isInvitationId(bad), false, String(bad));
    }
  });
});

describe('mergeInvitation', () => {
  const now = '2024-05-01T10:00:00.000Z';

  it('creates version 1 with the derived id, dropping undefined fields', () => {
    const { record, created, changed } = mergeInvitation(undefined, upsertInput({ threadId: undefined }), now);
    assert.ok(created && changed);
    assert.equal(record.id, invitationIdFor(ACCOUNT, HREF));
    assert.equal(record.version, 1);
    assert.equal(record.updatedAt, now);
    assert.ok(!('threadId' in record));
  });

  it('reports an identical re-delivery as unchanged and returns the stored record as is', () => {
    const { record } = mergeInvitation(undefined, upsertInput(), now);
    const again = mergeInvitation(record, upsertInput(), '2024-05-01T11:00:00.000Z');
    assert.equal(again.changed, false);
    assert.equal(again.record, record);
  });

  it('rejects an input without account or href, naming the field', () => {
    assert.throws(() => mergeInvitation(undefined, upsertInput({ accountId: '' }), now), /accountId must be/);
    assert.throws(() => mergeInvitation(undefined, upsertInput({ invitationHref: '' }), now), /invitationHref must be/);
    assert.throws(
      () => mergeInvitation(undefined, upsertInput({ state: 'bogus' as never }), now),
      /state is not a known invitation state/,
    );
  });
});
