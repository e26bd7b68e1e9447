// bot-cards: which card the bot shows for a record, with what it knows about the account.
import assert from 'node:assert/strict';
import { createBotCards, invitationSummary } from '../../bot/bot-cards';
import { InvitationRecord } from '../../src/store';
import { cardHas, cardTexts, executeActions } from './helpers';

function record(patch: Partial<InvitationRecord> = {}): InvitationRecord {
  return {
    id: 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB',
    accountId: 'aaaaaaaa-1111-4111-8111-00000000a1e5',
    kind: 'messaging',
    subject: 'Contoso proposal',
    importance: 'Normal',
    from: { name: 'Adele Vance', uri: 'sip:adelev@example.com', sourceNetwork: 'SameEnterprise' },
    availableModalities: ['Messaging'],
    receivedAt: '2025-03-03T09:00:00.000Z',
    state: 'pending',
    actions: { accept: '/accept', decline: '/decline' },
    invitationHref: '/ucwa/oauth/v1/applications/1/communication/messagingInvitations/1',
    updatedAt: '2025-03-03T09:00:00.000Z',
    version: 1,
    ...patch,
  };
}

describe('bot cards (createBotCards)', () => {
  const cards = createBotCards({ authMode: 'password' });

  it('a late Accept refused because the invitation had ended reads "No longer available", not "Failed"', () => {
    // The state machine's answer to such a refusal (records stored as failed + '404' load the same way).
    for (const provisional of [true, undefined] as const) {
      const card = cards.invitation(record({ state: 'ended', reason: 'endedBeforeAnswer', provisional })).content;
      assert.ok(cardHas(card, 'No longer available'), `${provisional}: ${cardTexts(card).join(' | ')}`);
      assert.ok(cardHas(card, 'It ended before your answer reached Skype for Business.'));
      assert.ok(!cardTexts(card).some((t) => t.startsWith('Failed')));
      assert.equal(executeActions(card).length, 0);
    }
  });

  it('a real failure still reads "Failed" with its reason', () => {
    const card = cards.invitation(record({ state: 'failed', outcomeReason: { code: 'ServiceFailure', message: 'The pool is unavailable.' } })).content;
    assert.ok(cardHas(card, 'Failed'), cardTexts(card).join(' | '));
    assert.ok(cardHas(card, 'The pool is unavailable.'));
  });

  it('a call can be accepted only when a phone number is stored for the account', () => {
    const call = record({ kind: 'audioVideo', availableModalities: ['Audio', 'Video'], actions: { acceptWithPhoneAudio: '/phone', decline: '/decline' } });
    assert.deepEqual(executeActions(cards.invitation(call).content).map((a) => a.verb), ['decline']);
    const card = cards.invitation(call, { phoneNumber: '+14255550100' }).content;
    assert.deepEqual(executeActions(card).map((a) => a.verb), ['accept', 'decline']);
    assert.ok(JSON.stringify(card).includes('Answer on my phone'));
  });

  it('the notification line is plain, marks importance, and is capped', () => {
    assert.equal(invitationSummary(record()), 'Skype IM from Adele Vance: Contoso proposal');
    assert.match(invitationSummary(record({ importance: 'Urgent', kind: 'onlineMeeting' })), /^URGENT /);
    assert.ok(invitationSummary(record({ subject: 'x'.repeat(1000) })).length <= 200);
    assert.ok(!invitationSummary(record({ subject: '[click](https://evil.example) <at>everyone</at>' })).includes('](https://'), 'no markdown link survives');
  });
});
