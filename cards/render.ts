// Expands a card template (adaptivecards-templating) with typed data, and refuses any output that is not a
// complete card: an unresolved `${...}`, a reference to data that is not there, or a templating warning is an
// error (CardRenderError), never a card with holes in it.
//
// How it stays strict (adaptivecards-templating 2.3.1 is lenient by design):
// - An expression it cannot evaluate is left in the output as literal `${...}`: the output is walked and any `${`
//   anywhere (values or keys) fails the render. Data strings pass through neutralizeTemplateMarkers first, so
//   untrusted text can never trip (or satisfy) this check: only the template's own expressions can.
// - A `$when` that evaluates to false is reported as the warning "Unable to parse the Adaptive Expression", the
//   same warning as for a real evaluation error, so "no warnings" would forbid every false condition. Conditions
//   are therefore computed in TypeScript and a `$when` may only be a flag, `${name}` or `${!name}` (a dotted path
//   is fine): a property lookup cannot fail to evaluate, only miss (see below). defineTemplate rewrites each to
//   `${if((flag) == true, true, 'false')}`: true keeps the element, anything else yields the string 'false',
//   which the engine drops without a warning. Any warning that still comes back fails the render.
// - A reference to a property the data does not have evaluates to nothing, silently (inside `$when` it just
//   drops the element). The data is handed to the engine as StrictRecord maps that record every lookup of a
//   missing key (the expression engine looks properties of a Map up with `get`), and any such lookup fails the
//   render. Every key a template uses must therefore be present (optional values are '' or false, not absent).
// - Templates are deep-cloned and deep-frozen once in defineTemplate, and compiled once: the engine parses every
//   `${...}` when a Template is built, which cost more than the expansion itself, so one Template per card
//   template is reused (expand() resets its context and warnings; renders are synchronous, so they never
//   overlap). Data is converted into fresh maps and the output is deep-copied, so no render can reach another.
import { Template } from 'adaptivecards-templating';
import { neutralizeTemplateMarkers } from './text';

export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** The highest Adaptive Cards version Teams supports for bot cards; Action.Execute needs 1.4 or later. */
export const ADAPTIVE_CARD_VERSION = '1.5';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A rendered Adaptive Card: plain JSON, ready for CardFactory.adaptiveCard or an invoke response. */
export interface AdaptiveCardJson extends JsonObject {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: JsonObject[];
}

/** Container styles of Adaptive Cards 1.5. */
export type ContainerStyle = 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';

export class CardRenderError extends Error {
  constructor(
    readonly template: string,
    readonly problems: readonly string[],
  ) {
    super(`Card template "${template}" did not render: ${problems.join('; ')}`);
    this.name = 'CardRenderError';
  }
}

declare const dataBrand: unique symbol;

/** A validated, frozen template; the type parameter is the data it takes. */
export interface CardTemplate<TData extends object> {
  readonly name: string;
  /** The template as written (deep-frozen copy). */
  readonly source: Readonly<JsonObject>;
  /** The same with `$when` rewritten (deep-frozen); what the engine expands. */
  readonly prepared: Readonly<JsonObject>;
  readonly [dataBrand]?: TData;
}

const MAX_DEPTH = 64;

/** The compiled engine of each defined template (kept off the template so its shape stays plain data). */
const engines = new WeakMap<CardTemplate<object>, Template>();

function engineFor(template: CardTemplate<object>): Template {
  let engine = engines.get(template);
  if (!engine) {
    engine = new Template(template.prepared);
    engines.set(template, engine);
  }
  return engine;
}

/**
 * Validates and freezes a card template. Throws CardRenderError when it is not an AdaptiveCard of version 1.5 with
 * the schema, or when a `$when` is not exactly one `${...}` expression.
 */
export function defineTemplate<TData extends object>(name: string, json: unknown): CardTemplate<TData> {
  const source = cloneJson(json, name, '$', 0);
  const problems: string[] = [];
  if (!isObject(source)) {
    throw new CardRenderError(name, ['the template is not a JSON object']);
  }
  if (source.type !== 'AdaptiveCard') problems.push('type must be "AdaptiveCard"');
  if (source.version !== ADAPTIVE_CARD_VERSION) problems.push(`version must be "${ADAPTIVE_CARD_VERSION}"`);
  if (source.$schema !== ADAPTIVE_CARD_SCHEMA) problems.push(`$schema must be "${ADAPTIVE_CARD_SCHEMA}"`);
  if (!Array.isArray(source.body)) problems.push('body must be an array');
  const prepared = rewriteWhen(source, '$', problems);
  if (problems.length > 0) throw new CardRenderError(name, problems);
  return { name, source: deepFreeze(source), prepared: deepFreeze(prepared as JsonObject) };
}

/**
 * Expands the template with the data. The result is a fresh, plain JSON card (not shared with the template, the
 * data or any other render). Throws CardRenderError on any unresolved expression, missing data or warning.
 */
export function renderTemplate<TData extends object>(template: CardTemplate<TData>, data: TData): AdaptiveCardJson {
  const misses = new Set<string>();
  const root = toStrict(data, template.name, '$root', 0, misses);
  let expanded: unknown;
  let warnings: string[];
  try {
    const engine = engineFor(template);
    expanded = engine.expand({ $root: root });
    warnings = engine.getLastTemplateExpansionWarnings() ?? [];
  } catch (error) {
    throw new CardRenderError(template.name, [`expansion failed: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const problems: string[] = [];
  if (misses.size > 0) problems.push(`the template refers to data that is not there: ${[...misses].sort().join(', ')}`);
  problems.push(...warnings.map((w) => `templating warning: ${w}`));
  const output = checkOutput(expanded, template.name, problems);
  if (problems.length > 0) throw new CardRenderError(template.name, problems);
  return output;
}

function checkOutput(expanded: unknown, name: string, problems: string[]): AdaptiveCardJson {
  const survivors: string[] = [];
  let card: JsonValue;
  try {
    card = cloneJson(expanded, name, '$', 0, survivors);
  } catch (error) {
    problems.push(error instanceof CardRenderError ? error.problems.join('; ') : String(error));
    return { type: 'AdaptiveCard', $schema: ADAPTIVE_CARD_SCHEMA, version: ADAPTIVE_CARD_VERSION, body: [] };
  }
  if (survivors.length > 0) {
    const shown = survivors.slice(0, 5).join(', ');
    problems.push(`unresolved template expressions remain at ${shown}${survivors.length > 5 ? ', …' : ''}`);
  }
  if (!isObject(card) || card.type !== 'AdaptiveCard' || !Array.isArray(card.body)) {
    problems.push('the output is not an AdaptiveCard with a body');
    return { type: 'AdaptiveCard', $schema: ADAPTIVE_CARD_SCHEMA, version: ADAPTIVE_CARD_VERSION, body: [] };
  }
  return card as AdaptiveCardJson;
}

/** A deep copy that must be plain JSON; records the paths of strings or keys containing `${` when asked to. */
function cloneJson(value: unknown, name: string, path: string, depth: number, survivors?: string[]): JsonValue {
  if (depth > MAX_DEPTH) throw new CardRenderError(name, [`nesting deeper than ${MAX_DEPTH} at ${path}`]);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (survivors && value.includes('${')) survivors.push(path);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CardRenderError(name, [`non-finite number at ${path}`]);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => cloneJson(item, name, `${path}[${i}]`, depth + 1, survivors));
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (survivors && key.includes('${')) survivors.push(`${path} (key ${key})`);
      if (item === undefined) continue;
      out[key] = cloneJson(item, name, `${path}.${key}`, depth + 1, survivors);
    }
    return out;
  }
  const kind = value instanceof Map ? 'a data object (a template used an object where it needed a value)' : typeof value;
  throw new CardRenderError(name, [`not plain JSON at ${path}: ${kind}`]);
}

/** A `$when` flag: `${name}` or `${!name}`, where name may be a dotted path (`${!header.hasSubject}`). */
const WHEN_FLAG = /^\$\{\s*(!?)\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}$/;

/** `"$when": "${flag}"` -> `"${if((flag) == true, true, 'false')}"`; see the file comment. */
function rewriteWhen(node: JsonValue, path: string, problems: string[]): JsonValue {
  if (Array.isArray(node)) return node.map((item, i) => rewriteWhen(item, `${path}[${i}]`, problems));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$when') {
      const match = typeof value === 'string' ? WHEN_FLAG.exec(value) : null;
      if (!match) {
        problems.push(
          `$when at ${path} must be a flag \${name} or \${!name} (compute conditions in the data), got ${JSON.stringify(value)}`,
        );
        out[key] = value;
      } else {
        out[key] = `\${if((${match[1]}${match[2]}) == true, true, 'false')}`;
      }
    } else {
      out[key] = rewriteWhen(value, `${path}.${key}`, problems);
    }
  }
  return out;
}

/**
 * A data object as the engine sees it: a Map whose lookups of missing keys are recorded. The expression engine
 * resolves properties of a Map with `get` (then a case-insensitive scan, which a recorded miss already rejects).
 */
class StrictRecord extends Map<string, unknown> {
  constructor(
    entries: Array<[string, unknown]>,
    private readonly path: string,
    private readonly misses: Set<string>,
  ) {
    super(entries);
  }

  override get(key: string): unknown {
    if (!super.has(key)) this.misses.add(this.path === '$root' ? key : `${this.path}.${key}`);
    return super.get(key);
  }
}

function toStrict(value: unknown, name: string, path: string, depth: number, misses: Set<string>): unknown {
  if (depth > MAX_DEPTH) throw new CardRenderError(name, [`data nested deeper than ${MAX_DEPTH} at ${path}`]);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return neutralizeTemplateMarkers(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CardRenderError(name, [`data ${path} is not a finite number`]);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => toStrict(item, name, `${path}[${i}]`, depth + 1, misses));
  if (isPlainObject(value)) {
    const entries: Array<[string, unknown]> = [];
    for (const [key, item] of Object.entries(value)) {
      // An undefined value counts as absent: a template that uses it fails instead of printing nothing.
      if (item !== undefined) entries.push([key, toStrict(item, name, `${path}.${key}`, depth + 1, misses)]);
    }
    return new StrictRecord(entries, path, misses);
  }
  throw new CardRenderError(name, [`data ${path} is not plain JSON (${typeof value})`]);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
