// Finds the repository root from a script's own folder, whether it runs from deployment/ (ts-node, tests) or from
// the compiled copy in dist/deployment/.
import { existsSync } from 'node:fs';
import path from 'node:path';

export function findRepoRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'deployment', 'teams-app', 'manifest.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root (a folder with package.json and deployment/teams-app/) above ${start}`);
    dir = parent;
  }
}

export function teamsAppDir(root: string = findRepoRoot()): string {
  return path.join(root, 'deployment', 'teams-app');
}
