// Shared fixtures and card walkers for the card tests.
import assert from 'node:assert/strict';
import type * as AdaptiveCards from 'adaptivecards';
import type { AdaptiveCardJson, JsonObject, JsonValue } from '../../cards/render';
import type { InvitationRecord } from '../../src/store/records';

// The package's `main` (lib/) is untranspiled ESM without file extensions, which Node cannot load; its UMD
// bundle is the same code and parses cards without a DOM (rendering would need one).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC: typeof AdaptiveCards = require('adaptivecards/dist/adaptivecards.js');

export const INVITATION_ID = 'AbCdEfGhIjKlMnOp.qRsTuVwXyZ0123456789_-';
export const RECEIVED_AT = '2025-03-04T14:05:00.000Z';
export const NOW = new Date('2025-03-04T14:08:00.000Z');

export function record(overrides: Partial<InvitationRecord> = {}): InvitationRecord {
  return {
    id: INVITATION_ID,
    accountId: 'alice@contoso.com',
    kind: 'onlineMeeting',
    subject: 'Quarterly review',
    importance: 'Normal',
    from: { name: 'Bob Builder', uri: 'sip:bob@contoso.com', sourceNetwork: 'SameEnterprise' },
    message: 'Please join, we start in five minutes.',
    onlineMeetingUri: 'sip:bob@contoso.com;gruu;opaque=app:conf:focus:id:ABC123',
    availableModalities: ['Messaging', 'Audio', 'Video', 'ApplicationSharing'],
    receivedAt: RECEIVED_AT,
    state: 'pending',
    actions: {
      accept: '/ucwa/oauth/v1/applications/1/communication/invitations/1/accept',
      decline: '/ucwa/oauth/v1/applications/1/communication/invitations/1/decline',
    },
    invitationHref: '/ucwa/oauth/v1/applications/1/communication/invitations/1',
    updatedAt: RECEIVED_AT,
    version: 1,
    ...overrides,
  };
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object in the card, depth first. */
export function objectsOf(node: JsonValue): JsonObject[] {
  const out: JsonObject[] = [];
  const visit = (value: JsonValue): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) {
      out.push(value);
      Object.values(value).forEach(visit);
    }
  };
  visit(node);
  return out;
}

/** Every string value in the card. */
export function stringsOf(node: JsonValue): string[] {
  const out: string[] = [];
  const visit = (value: JsonValue): void => {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  visit(node);
  return out;
}

/** The texts a user reads: TextBlock text and FactSet titles and values, in order. */
export function textsOf(card: AdaptiveCardJson): string[] {
  const out: string[] = [];
  for (const obj of objectsOf(card.body)) {
    if (obj.type === 'TextBlock' && typeof obj.text === 'string') out.push(obj.text);
    if (obj.type === 'FactSet' && Array.isArray(obj.facts)) {
      for (const fact of obj.facts) if (isObject(fact)) out.push(`${String(fact.title)}: ${String(fact.value)}`);
    }
  }
  return out;
}

/** All visible text joined, with the invisible joiners removed and Markdown escapes undone: what a reader sees. */
export function visibleText(card: AdaptiveCardJson): string {
  return textsOf(card).map(unescapeForReader).join('\n');
}

export function unescapeForReader(text: string): string {
  return text.replace(/\u2060/g, '').replace(/\\([\\`*_~[\]#>+\-=|.)])/g, '$1');
}

export function actionsOf(card: AdaptiveCardJson): JsonObject[] {
  return Array.isArray(card.actions) ? (card.actions as JsonObject[]) : [];
}

export function actionByVerb(card: AdaptiveCardJson, verb: string): JsonObject | undefined {
  return actionsOf(card).find((a) => a.verb === verb);
}

/** Parses the card with the adaptivecards package (the reference object model) and fails on any parse event. */
export function assertParsesCleanly(card: AdaptiveCardJson): AdaptiveCards.AdaptiveCard {
  assert.equal(card.type, 'AdaptiveCard');
  assert.equal(card.version, '1.5');
  assert.equal(card.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(card, context);
  const events: string[] = [];
  for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i).message);
  assert.deepEqual(events, [], `parse events for ${JSON.stringify(card).slice(0, 200)}`);
  const validation = parsed.validateProperties();
  assert.deepEqual(
    validation.validationEvents.map((e) => e.message),
    [],
    'validation events',
  );
  // Every element and action survived the parse (an unknown type would have been dropped or replaced).
  const round = parsed.toJSON() as unknown as AdaptiveCardJson;
  assert.equal(objectsOf(round.body).filter((o) => typeof o.type === 'string').length, countTyped(card.body));
  assert.equal(actionsOf(round).length, actionsOf(card).length);
  return parsed;
}

function countTyped(node: JsonValue): number {
  return objectsOf(node).filter((o) => typeof o.type === 'string').length;
}

/** Parses with a registry that lacks Action.Execute, as an old client would, and returns the actions it kept. */
export function parseAsClientWithoutExecute(card: AdaptiveCardJson): Array<{ type: string; data: unknown; title?: string }> {
  const actions = new AC.CardObjectRegistry<AdaptiveCards.Action>();
  AC.GlobalRegistry.populateWithDefaultActions(actions);
  actions.unregister('Action.Execute');
  const context = new AC.SerializationContext();
  context.setActionRegistry(actions);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, context);
  const out: Array<{ type: string; data: unknown; title?: string }> = [];
  for (let i = 0; i < parsed.getActionCount(); i++) {
    const action = parsed.getActionAt(i);
    if (!action) continue;
    const json = action.toJSON() as { data?: unknown } | undefined;
    out.push({ type: action.getJsonTypeName(), data: json?.data, title: action.title });
  }
  return out;
}
