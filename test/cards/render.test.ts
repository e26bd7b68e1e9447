// renderTemplate: strict expansion, no leftovers, no injection, no leaks between renders.
import assert from 'node:assert/strict';
import { CardRenderError, defineTemplate, renderTemplate, type AdaptiveCardJson, type CardTemplate, type JsonObject } from '../../cards/render';
import { invitationTemplate } from '../../cards/invitation-card';
import { helpTemplate } from '../../cards/help-card';
import { statusTemplate } from '../../cards/status-card';
import { welcomeTemplate } from '../../cards/welcome-card';
import invitationJson from '../../cards/templates/invitation.json';
import { textsOf } from './helpers';

function card(body: unknown[], extra: Record<string, unknown> = {}): unknown {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    body,
    ...extra,
  };
}

function throwsRenderError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CardRenderError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('renderTemplate', () => {
  it('renders one compiled template again and again with nothing carried from an earlier render, even a failed one', () => {
    const template = defineTemplate<{ title: string; items: Array<{ n: string }> }>(
      'reused',
      card([
        { type: 'TextBlock', text: 'Hello ${title}' },
        { $data: '${items}', type: 'TextBlock', text: '${n}' },
      ]),
    );
    const first = renderTemplate(template, { title: 'one', items: [{ n: 'a' }, { n: 'b' }] });
    const second = renderTemplate(template, { title: 'two', items: [] });
    throwsRenderError(() => renderTemplate(template, { title: 'three' } as never), /items/);
    const again = renderTemplate(template, { title: 'one', items: [{ n: 'a' }, { n: 'b' }] });
    assert.deepEqual(again, first);
    assert.deepEqual(second.body, [{ type: 'TextBlock', text: 'Hello two' }]);
    first.body.push({ type: 'TextBlock', text: 'changed by the caller' });
    assert.deepEqual(renderTemplate(template, { title: 'two', items: [] }), second);
  });

  it('expands expressions, $when and $data', () => {
    const template = defineTemplate<{ title: string; show: boolean; hide: boolean; items: Array<{ n: string }> }>(
      'demo',
      card([
        { type: 'TextBlock', text: 'Hello ${title}' },
        { $when: '${show}', type: 'TextBlock', text: 'shown' },
        { $when: '${hide}', type: 'TextBlock', text: 'hidden' },
        { $when: '${!hide}', type: 'TextBlock', text: 'negated' },
        { $data: '${items}', type: 'TextBlock', text: '${n} #${$index}' },
      ]),
    );
    const out = renderTemplate(template, { title: 'World', show: true, hide: false, items: [{ n: 'a' }, { n: 'b' }] });
    assert.deepEqual(textsOf(out), ['Hello World', 'shown', 'negated', 'a #0', 'b #1']);
  });

  it('throws CardRenderError for a property the data does not have (in text)', () => {
    const template = defineTemplate<{ title: string }>('unknown-text', card([{ type: 'TextBlock', text: '${titel}' }]));
    throwsRenderError(() => renderTemplate(template, { title: 'x' }), /data that is not there: titel.*unresolved template expressions remain at \$\.body\[0\]\.text/);
  });

  it('throws for an unknown property inside $when, which the engine would silently treat as false', () => {
    const template = defineTemplate<{ show: boolean }>('unknown-when', card([{ $when: '${shwo}', type: 'TextBlock', text: 'x' }]));
    throwsRenderError(() => renderTemplate(template, { show: true }), /data that is not there: shwo/);
  });

  it('throws for an unknown property of a nested object or of an array item', () => {
    const nested = defineTemplate<{ a: { b: string } }>('nested', card([{ type: 'TextBlock', text: '${a.c}' }]));
    throwsRenderError(() => renderTemplate(nested, { a: { b: 'x' } }), /\$root\.a\.c/);
    const items = defineTemplate<{ list: Array<{ n: string }> }>('items', card([{ $data: '${list}', type: 'TextBlock', text: '${m}' }]));
    throwsRenderError(() => renderTemplate(items, { list: [{ n: 'x' }] }), /\$root\.list\[0\]\.m/);
  });

  it('treats an undefined data value as missing rather than printing nothing', () => {
    const template = defineTemplate<{ a?: string }>('undef', card([{ type: 'TextBlock', text: 'a=${a}' }]));
    throwsRenderError(() => renderTemplate(template, { a: undefined }), /data that is not there: a/);
  });

  it('a false $when reports no warning; a warning from the engine fails the render', () => {
    const ok = defineTemplate<{ no: boolean }>('false-when', card([{ $when: '${no}', type: 'TextBlock', text: 'x' }, { type: 'TextBlock', text: 'y' }]));
    assert.deepEqual(textsOf(renderTemplate(ok, { no: false })), ['y']);
    // A hand-built template that skips defineTemplate's $when rewrite: the engine warns on the false condition.
    const raw = card([{ $when: '${no}', type: 'TextBlock', text: 'x' }]) as JsonObject;
    const unprepared: CardTemplate<{ no: boolean }> = { name: 'raw', source: raw, prepared: raw };
    throwsRenderError(() => renderTemplate(unprepared, { no: false }), /templating warning: WARN: Unable to parse/);
  });

  it('throws when an expression fails to evaluate in a value', () => {
    const template = defineTemplate<{ n: string }>('bad-fn', card([{ type: 'TextBlock', text: '${nosuchfunction(n)}' }]));
    throwsRenderError(() => renderTemplate(template, { n: 'x' }), /did not render/);
  });

  it('throws when an expression yields an object instead of a value', () => {
    const template = defineTemplate<{ from: { name: string } }>('object', card([{ type: 'TextBlock', text: '${from}' }]));
    throwsRenderError(() => renderTemplate(template, { from: { name: 'x' } }), /not plain JSON/);
  });

  it('defineTemplate refuses a $when that is not one expression, and a card without version 1.5 and $schema', () => {
    throwsRenderError(() => defineTemplate('literal-when', card([{ $when: 'true', type: 'TextBlock', text: 'x' }])), /\$when at \$\.body\[0\]/);
    for (const when of ['${a} ${b}', '${a == 1}', '${nosuchfunction(a)}', '${length(a) > 0}', '${}', '$a']) {
      throwsRenderError(() => defineTemplate('bad-when', card([{ $when: when, type: 'TextBlock', text: 'x' }])), /must be a flag/);
    }
    defineTemplate('good-when', card([{ $when: '${ !a.b_c }', type: 'TextBlock', text: 'x' }, { $when: '${$root.x}', type: 'TextBlock', text: 'y' }]));
    throwsRenderError(() => defineTemplate('v14', { ...(card([]) as object), version: '1.4' }), /version must be "1\.5"/);
    throwsRenderError(() => defineTemplate('no-schema', { type: 'AdaptiveCard', version: '1.5', body: [] }), /\$schema/);
    throwsRenderError(() => defineTemplate('not-a-card', [1, 2]), /not a JSON object/);
  });

  it('never evaluates data: ${...} in data stays literal and does not trip the leftover check', () => {
    const template = defineTemplate<{ a: string; b: string; c: string }>(
      'inject',
      card([
        { type: 'TextBlock', text: '${a}' },
        { type: 'TextBlock', text: '${b}${c}' },
        { type: 'TextBlock', text: '$${c}' },
      ]),
    );
    const out = renderTemplate(template, { a: '${1+1} ${$root.b} ${a}', b: 'cost $', c: '{x}' });
    const texts = textsOf(out).map((t) => t.replace(/\u2060/g, ''));
    assert.deepEqual(texts, ['${1+1} ${$root.b} ${a}', 'cost ${x}', '${x}']);
    assert.ok(!JSON.stringify(out).includes('${'), JSON.stringify(out));
  });

  it('keeps templates frozen and renders independent of each other', () => {
    assert.ok(Object.isFrozen(invitationTemplate.source));
    assert.ok(Object.isFrozen(invitationTemplate.prepared));
    assert.ok(Object.isFrozen((invitationTemplate.prepared.body as unknown[])[0]));
    assert.throws(() => {
      (invitationTemplate.source as { version: string }).version = '1.0';
    }, TypeError);
    // The imported JSON module object is untouched (defineTemplate froze a copy).
    assert.ok(!Object.isFrozen(invitationJson));

    const template = defineTemplate<{ t: string }>('iso', card([{ type: 'Container', items: [{ type: 'TextBlock', text: '${t}' }] }]));
    const first = renderTemplate(template, { t: 'one' });
    ((first.body[0].items as AdaptiveCardJson['body'])[0] as { text: string }).text = 'mutated';
    (first.body as unknown[]).push({ type: 'TextBlock', text: 'added' });
    const second = renderTemplate(template, { t: 'two' });
    assert.deepEqual(textsOf(second), ['two']);
    assert.notEqual(first.body, second.body);
  });

  it('every shipped template is frozen, version 1.5, with the schema', () => {
    for (const template of [invitationTemplate, welcomeTemplate, helpTemplate, statusTemplate]) {
      assert.equal(template.source.version, '1.5', template.name);
      assert.equal(template.source.type, 'AdaptiveCard', template.name);
      assert.equal(template.source.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json', template.name);
      assert.ok(Object.isFrozen(template.source), template.name);
    }
  });

  it('rejects data that is not plain JSON', () => {
    const template = defineTemplate<{ t: unknown }>('json', card([{ type: 'TextBlock', text: '${t}' }]));
    throwsRenderError(() => renderTemplate(template, { t: new Date(0) }), /not plain JSON/);
    throwsRenderError(() => renderTemplate(template, { t: Number.NaN }), /finite/);
  });
});
