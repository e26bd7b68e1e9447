// A small ARM template expression parser and evaluator, enough to check deployment/azuredeploy.json without Azure:
// which parameters and variables are used, what every resource's name and id evaluate to, and whether every
// resourceId()/reference()/dependsOn/scope points at something the template creates. Unknown functions are errors,
// so the template cannot use something these checks do not understand.
import { createHash } from 'node:crypto';

export type Node =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'prop'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, unknown>;

/** True when a template string is an expression (`[...]`, but not the `[[` escape). */
export function isExpression(s: string): boolean {
  return s.startsWith('[') && !s.startsWith('[[') && s.endsWith(']');
}

// ---------------------------------------------------------------------------------------------------- parser

export function parseExpression(text: string): Node {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`ARM expression ${JSON.stringify(text)}: ${msg} at ${i}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const ident = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const primary = (): Node => {
    ws();
    const c = text[i];
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      return { kind: 'str', value };
    }
    const num = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'num', value: Number(num[0]) };
    }
    const name = ident();
    ws();
    if (text[i] !== '(') fail(`expected ( after ${name}`);
    i++;
    const args: Node[] = [];
    ws();
    if (text[i] === ')') i++;
    else {
      for (;;) {
        args.push(expr());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ')') {
          i++;
          break;
        }
        fail('expected , or )');
      }
    }
    return { kind: 'call', name, args };
  };
  const expr = (): Node => {
    let node = primary();
    for (;;) {
      ws();
      if (text[i] === '.') {
        i++;
        node = { kind: 'prop', target: node, name: ident() };
      } else if (text[i] === '[') {
        i++;
        const index = expr();
        ws();
        if (text[i] !== ']') fail('expected ]');
        i++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const root = expr();
  ws();
  if (i !== text.length) fail('unexpected text');
  return root;
}

/** Every expression in a template fragment (string values and object keys), with its JSON path. */
export function expressionsIn(value: unknown, path = '$'): { path: string; node: Node }[] {
  const out: { path: string; node: Node }[] = [];
  const walk = (v: unknown, p: string) => {
    if (typeof v === 'string') {
      if (isExpression(v)) out.push({ path: p, node: parseExpression(v.slice(1, -1)) });
    } else if (Array.isArray(v)) v.forEach((x, k) => walk(x, `${p}[${k}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (isExpression(k)) out.push({ path: `${p}{key}`, node: parseExpression(k.slice(1, -1)) });
        walk(x, `${p}.${k}`);
      }
    }
  };
  walk(value, path);
  return out;
}

/** Every function call inside a node (depth first). */
export function callsIn(node: Node): { name: string; args: Node[] }[] {
  const out: { name: string; args: Node[] }[] = [];
  const walk = (n: Node) => {
    if (n.kind === 'call') {
      out.push({ name: n.name.toLowerCase(), args: n.args });
      n.args.forEach(walk);
    } else if (n.kind === 'prop') walk(n.target);
    else if (n.kind === 'index') {
      walk(n.target);
      walk(n.index);
    }
  };
  walk(node);
  return out;
}

// ------------------------------------------------------------------------------------------------- evaluator

export interface EvalOptions {
  subscriptionId?: string;
  tenantId?: string;
  resourceGroup?: string;
  location?: string;
  /** The runtime state reference() returns for a resource the template creates (type, name). */
  runtime?: (type: string, name: string) => Obj;
}

export interface ResourceInstance {
  type: string;
  name: string;
  id: string;
  condition: boolean;
  copyName?: string;
  index?: number;
  /** The resource as written in the template. */
  raw: Obj;
  scope?: string;
}

interface Ctx {
  copy: Record<string, number>;
  /** Loop name copyIndex() without a name refers to (a resource copy loop). */
  loop?: string;
}

export interface IdCall {
  fn: 'resourceId' | 'subscriptionResourceId' | 'extensionResourceId';
  type: string;
  names: string[];
  id: string;
}

export class TemplateEvaluator {
  readonly idCalls: IdCall[] = [];
  readonly referenceCalls: string[] = [];
  private readonly variableCache = new Map<string, unknown>();
  private readonly evaluatingVariables = new Set<string>();
  private instancesCache?: ResourceInstance[];
  readonly sub: string;
  readonly tenant: string;
  readonly rg: string;
  readonly location: string;

  constructor(
    readonly template: Obj,
    readonly parameterValues: Record<string, unknown> = {},
    readonly options: EvalOptions = {},
  ) {
    this.sub = options.subscriptionId ?? '00000000-0000-0000-0000-00000000aaaa';
    this.tenant = options.tenantId ?? '00000000-0000-0000-0000-00000000bbbb';
    this.rg = options.resourceGroup ?? 'rg-test';
    this.location = options.location ?? 'westeurope';
    for (const name of Object.keys(parameterValues)) {
      if (!(name in this.declaredParameters())) throw new Error(`parameter ${name} is not declared in the template`);
    }
  }

  declaredParameters(): Record<string, Obj> {
    return (this.template.parameters ?? {}) as Record<string, Obj>;
  }

  parameter(name: string): unknown {
    const decl = this.declaredParameters()[name];
    if (!decl) throw new Error(`parameters('${name}') is not declared`);
    if (name in this.parameterValues) return this.parameterValues[name];
    if (!('defaultValue' in decl)) throw new Error(`parameter ${name} has no value and no default`);
    return this.evaluate(decl.defaultValue, { copy: {} });
  }

  variable(name: string): unknown {
    if (this.variableCache.has(name)) return this.variableCache.get(name);
    const vars = (this.template.variables ?? {}) as Obj;
    const copies = (Array.isArray(vars.copy) ? vars.copy : []) as Obj[];
    if (this.evaluatingVariables.has(name)) throw new Error(`variables('${name}') depends on itself`);
    this.evaluatingVariables.add(name);
    let value: unknown;
    const loop = copies.find((c) => c.name === name);
    if (name !== 'copy' && name in vars) value = this.evaluate(vars[name], { copy: {} });
    else if (loop) {
      const count = Number(this.evaluate(loop.count, { copy: {} }));
      value = Array.from({ length: count }, (_, i) => this.evaluate(loop.input, { copy: { [name]: i } }));
    } else throw new Error(`variables('${name}') is not declared`);
    this.evaluatingVariables.delete(name);
    this.variableCache.set(name, value);
    return value;
  }

  /** Evaluates a template fragment: expressions in strings and keys, recursively. */
  evaluate(value: unknown, ctx: Ctx = { copy: {} }): unknown {
    if (typeof value === 'string') {
      if (isExpression(value)) return this.evalNode(parseExpression(value.slice(1, -1)), ctx);
      return value.startsWith('[[') ? value.slice(1) : value;
    }
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v, ctx));
    if (value && typeof value === 'object') {
      const out: Obj = {};
      for (const [k, v] of Object.entries(value)) out[String(this.evaluate(k, ctx))] = this.evaluate(v, ctx);
      return out;
    }
    return value;
  }

  /** Resource id of a type and its name segments in this resource group. */
  resourceIdOf(type: string, names: string[]): string {
    const [ns, ...types] = type.split('/');
    if (!ns || types.length === 0) throw new Error(`resource type ${type} is not namespace/type`);
    if (types.length !== names.length) throw new Error(`resource type ${type} needs ${types.length} name segments, got ${names.length} (${names.join('/')})`);
    const tail = types.map((t, k) => `${t}/${names[k]}`).join('/');
    return `/subscriptions/${this.sub}/resourceGroups/${this.rg}/providers/${ns}/${tail}`;
  }

  /** A `scope` value ("Type/name" relative to the group, or a full id) as a full id. */
  scopeId(scope: string): string {
    if (scope.startsWith('/subscriptions/')) return scope;
    const parts = scope.split('/');
    const ns = parts[0];
    const types: string[] = [];
    const names: string[] = [];
    for (let k = 1; k < parts.length; k += 2) {
      types.push(parts[k]);
      names.push(parts[k + 1] ?? '');
    }
    return this.resourceIdOf(`${ns}/${types.join('/')}`, names);
  }

  /** Every resource instance the template declares (copy loops expanded, conditions evaluated). */
  instances(): ResourceInstance[] {
    if (this.instancesCache) return this.instancesCache;
    const out: ResourceInstance[] = [];
    for (const raw of (this.template.resources ?? []) as Obj[]) {
      if (raw.resources) throw new Error(`nested resources are not supported by these checks (${String(raw.type)})`);
      const copy = raw.copy as Obj | undefined;
      const count = copy ? Number(this.evaluate(copy.count)) : 1;
      for (let i = 0; i < count; i++) {
        const ctx: Ctx = copy ? { copy: { [String(copy.name)]: i }, loop: String(copy.name) } : { copy: {} };
        const type = String(raw.type);
        const name = String(this.evaluate(raw.name, ctx));
        const condition = raw.condition === undefined ? true : this.evaluate(raw.condition, ctx) === true;
        const scope = raw.scope === undefined ? undefined : String(this.evaluate(raw.scope, ctx));
        const id = scope ? `${this.scopeId(scope)}/providers/${type}/${name}` : this.resourceIdOf(type, name.split('/'));
        out.push({ type, name, id, condition, copyName: copy ? String(copy.name) : undefined, index: copy ? i : undefined, raw, scope });
      }
    }
    this.instancesCache = out;
    return out;
  }

  /** The fully evaluated body of one resource instance. */
  body(instance: ResourceInstance): Obj {
    const ctx: Ctx = instance.copyName ? { copy: { [instance.copyName]: instance.index ?? 0 }, loop: instance.copyName } : { copy: {} };
    const { copy: _copy, ...rest } = instance.raw;
    return this.evaluate(rest, ctx) as Obj;
  }

  outputs(): Obj {
    const outs = (this.template.outputs ?? {}) as Record<string, Obj>;
    return Object.fromEntries(Object.entries(outs).map(([k, o]) => [k, this.evaluate(o.value)]));
  }

  findById(id: string): ResourceInstance | undefined {
    return this.instances().find((r) => r.id.toLowerCase() === id.toLowerCase());
  }

  private evalNode(node: Node, ctx: Ctx): unknown {
    switch (node.kind) {
      case 'str':
      case 'num':
        return node.value;
      case 'prop': {
        const target = this.evalNode(node.target, ctx);
        if (!target || typeof target !== 'object' || !(node.name in (target as Obj))) {
          throw new Error(`property .${node.name} does not exist on ${JSON.stringify(target)?.slice(0, 120)}`);
        }
        return (target as Obj)[node.name];
      }
      case 'index': {
        const target = this.evalNode(node.target, ctx);
        const index = this.evalNode(node.index, ctx);
        if (Array.isArray(target)) {
          if (typeof index !== 'number' || index < 0 || index >= target.length) throw new Error(`index ${String(index)} out of range`);
          return target[index];
        }
        if (target && typeof target === 'object' && typeof index === 'string' && index in (target as Obj)) return (target as Obj)[index];
        throw new Error(`cannot index ${JSON.stringify(target)?.slice(0, 80)} with ${String(index)}`);
      }
      case 'call':
        return this.call(node.name.toLowerCase(), node.args, ctx);
    }
  }

  private call(name: string, argNodes: Node[], ctx: Ctx): unknown {
    const args = () => argNodes.map((a) => this.evalNode(a, ctx));
    const str = (v: unknown): string => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
      if (typeof v === 'boolean') return v ? 'True' : 'False';
      return JSON.stringify(v);
    };
    const hash = (parts: unknown[]) => createHash('sha256').update(parts.map(str).join('|')).digest();
    switch (name) {
      case 'parameters':
        return this.parameter(String(this.evalNode(argNodes[0], ctx)));
      case 'variables':
        return this.variable(String(this.evalNode(argNodes[0], ctx)));
      case 'copyindex': {
        const a = args();
        const loopName = typeof a[0] === 'string' ? a[0] : ctx.loop;
        const offset = typeof a[0] === 'number' ? a[0] : typeof a[1] === 'number' ? a[1] : 0;
        if (!loopName || !(loopName in ctx.copy)) throw new Error(`copyIndex(${loopName ?? ''}) used outside its loop`);
        return ctx.copy[loopName] + offset;
      }
      case 'resourcegroup':
        return { id: `/subscriptions/${this.sub}/resourceGroups/${this.rg}`, name: this.rg, location: this.location, properties: {} };
      case 'subscription':
        return { id: `/subscriptions/${this.sub}`, subscriptionId: this.sub, tenantId: this.tenant, displayName: 'test' };
      case 'environment':
        return { name: 'AzureCloud', suffixes: { keyvaultDns: '.vault.azure.net', storage: 'core.windows.net' } };
      case 'uniquestring': {
        const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
        const h = hash(args());
        return Array.from({ length: 13 }, (_, k) => alphabet[h[k] % 32]).join('');
      }
      case 'guid': {
        const h = hash(args()).toString('hex');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      }
      case 'format': {
        const [fmt, ...rest] = args();
        return String(fmt).replace(/\{(\d+)\}/g, (_m, k: string) => {
          if (Number(k) >= rest.length) throw new Error(`format: no argument {${k}}`);
          return str(rest[Number(k)]);
        });
      }
      case 'concat': {
        const a = args();
        if (a.length > 0 && Array.isArray(a[0])) return a.flatMap((x) => (Array.isArray(x) ? x : [x]));
        return a.map(str).join('');
      }
      case 'createarray':
        return args();
      case 'createobject': {
        const a = args();
        const o: Obj = {};
        for (let k = 0; k < a.length; k += 2) o[String(a[k])] = a[k + 1];
        return o;
      }
      case 'union': {
        const a = args();
        if (a.every(Array.isArray)) {
          const out: unknown[] = [];
          for (const x of (a as unknown[][]).flat()) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
          return out;
        }
        return Object.assign({}, ...a);
      }
      case 'items': {
        const [o] = args();
        if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('items() needs an object');
        return Object.keys(o as Obj)
          .sort((x, y) => x.localeCompare(y))
          .map((key) => ({ key, value: (o as Obj)[key] }));
      }
      case 'length': {
        const [x] = args();
        if (typeof x === 'string' || Array.isArray(x)) return x.length;
        if (x && typeof x === 'object') return Object.keys(x).length;
        throw new Error('length() of a non-collection');
      }
      case 'empty': {
        const [x] = args();
        if (x === null || x === undefined) return true;
        if (typeof x === 'string' || Array.isArray(x)) return x.length === 0;
        if (typeof x === 'object') return Object.keys(x).length === 0;
        throw new Error('empty() of a non-collection');
      }
      case 'not':
        return !(args()[0] as boolean);
      case 'and':
        return args().every((x) => x === true);
      case 'or':
        return args().some((x) => x === true);
      case 'if': {
        const [c, a, b] = args();
        if (typeof c !== 'boolean') throw new Error('if() needs a boolean condition');
        return c ? a : b;
      }
      case 'equals': {
        const [a, b] = args();
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'startswith': {
        const [a, b] = args();
        return String(a).toLowerCase().startsWith(String(b).toLowerCase());
      }
      case 'endswith': {
        const [a, b] = args();
        return String(a).toLowerCase().endsWith(String(b).toLowerCase());
      }
      case 'tolower':
        return String(args()[0]).toLowerCase();
      case 'toupper':
        return String(args()[0]).toUpperCase();
      case 'trim':
        return String(args()[0]).trim();
      case 'replace': {
        const [s, a, b] = args();
        return String(s).split(String(a)).join(String(b));
      }
      case 'string':
        return str(args()[0]);
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      case 'resourceid': {
        const a = args().map(String);
        if (!a[0].includes('/')) throw new Error('resourceId(): give the type first (subscription/group forms are not used here)');
        const id = this.resourceIdOf(a[0], a.slice(1));
        this.idCalls.push({ fn: 'resourceId', type: a[0], names: a.slice(1), id });
        return id;
      }
      case 'subscriptionresourceid': {
        const a = args().map(String);
        const id = `/subscriptions/${this.sub}/providers/${a[0]}/${a.slice(1).join('/')}`;
        this.idCalls.push({ fn: 'subscriptionResourceId', type: a[0], names: a.slice(1), id });
        return id;
      }
      case 'extensionresourceid': {
        const a = args().map(String);
        const id = `${a[0]}/providers/${a[1]}/${a.slice(2).join('/')}`;
        this.idCalls.push({ fn: 'extensionResourceId', type: a[1], names: a.slice(2), id });
        return id;
      }
      case 'reference': {
        const a = args();
        const target = String(a[0]);
        this.referenceCalls.push(target);
        const instance = this.findById(target);
        if (!instance) throw new Error(`reference(${target}): the template does not create that resource`);
        if (typeof a[1] !== 'string' || !/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(a[1])) throw new Error(`reference(${target}) needs an API version`);
        const state = this.options.runtime?.(instance.type, instance.name);
        if (!state) throw new Error(`no runtime state is known for ${instance.type}`);
        return a[2] === 'Full' ? { properties: state } : state;
      }
      default:
        throw new Error(`function ${name}() is not supported by these checks`);
    }
  }
}

export type { Json };
