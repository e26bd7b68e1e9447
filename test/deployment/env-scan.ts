// Finds the environment variables the product reads, by scanning its TypeScript sources for the ways the code
// reads them: `env.X`, `process.env.X`, `env['X']`, a helper called with `(env, 'X')` (bot/config.ts's value()),
// and destructuring from `env`. Reads whose name is computed (`env[someVariable]`) are reported separately so
// that a test can insist each one is known and explained.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface EnvRead {
  name: string;
  file: string;
  line: number;
}

export interface DynamicEnvRead {
  /** The expression inside the brackets, e.g. `e.passwordEnv`. */
  expression: string;
  file: string;
  line: number;
}

export interface EnvScan {
  reads: EnvRead[];
  dynamic: DynamicEnvRead[];
}

export function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listTsFiles(full));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const PATTERNS: RegExp[] = [
  // env.X and process.env.X (but not someenv.X or env.X(...) method calls on an object named env)
  new RegExp(`(?<![\\w$.])(?:process\\.)?env\\??\\.(${IDENT})\\b(?!\\s*\\()`, 'g'),
  // env['X'], env["X"], env[`X`]
  new RegExp(`(?<![\\w$.])(?:process\\.)?env\\??\\.?\\[\\s*(['"\`])(${IDENT})\\1\\s*\\]`, 'g'),
  // helper(env, 'X') such as value(env, 'PORT')
  new RegExp(`\\b${IDENT}\\(\\s*(?:process\\.)?env\\s*,\\s*(['"\`])(${IDENT})\\1`, 'g'),
];
const DYNAMIC = new RegExp(`(?<![\\w$.])(?:process\\.)?env\\??\\.?\\[\\s*(?!['"\`])([^\\]]+)\\]`, 'g');
const DESTRUCTURE = /\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g;

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Scans one source text; `file` is only used in the results. */
export function scanSource(text: string, file: string): EnvScan {
  const reads: EnvRead[] = [];
  const dynamic: DynamicEnvRead[] = [];
  for (const pattern of PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const name = m[m.length - 1];
      reads.push({ name, file, line: lineOf(text, m.index ?? 0) });
    }
  }
  for (const m of text.matchAll(DESTRUCTURE)) {
    for (const part of m[1].split(',')) {
      const name = part.split(':')[0].split('=')[0].trim();
      if (name && !name.startsWith('...')) reads.push({ name, file, line: lineOf(text, m.index ?? 0) });
    }
  }
  for (const m of text.matchAll(DYNAMIC)) dynamic.push({ expression: m[1].trim(), file, line: lineOf(text, m.index ?? 0) });
  return { reads, dynamic };
}

/** Scans every .ts file under the given folders (paths in the result are relative to root, with forward slashes). */
export function scanEnvironmentReads(root: string, folders: string[]): EnvScan {
  const result: EnvScan = { reads: [], dynamic: [] };
  for (const folder of folders) {
    for (const file of listTsFiles(path.join(root, folder))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      const scan = scanSource(readFileSync(file, 'utf8'), rel);
      result.reads.push(...scan.reads);
      result.dynamic.push(...scan.dynamic);
    }
  }
  return result;
}
