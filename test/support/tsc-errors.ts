// tsc 7 on a type fixture (code meant not to compile, importing the built package): its errors by
// line (1-based), each error's continuation lines joined to it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './cifar-fixture.js';

/** The errors tsc prints for `fixture` (a path from the repository root), by line. */
export async function tscErrorsByLine(fixture: string): Promise<Map<number, string>> {
  const tsc = path.join(repoRoot, 'node_modules/.bin/tsc');
  const args = ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', fixture];
  const output = await promisify(execFile)(tsc, args, { cwd: repoRoot }).then(
    () => '',
    (e: { stdout: string }) => e.stdout,
  );
  const errors = new Map<number, string>();
  const escaped = fixture.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let line = 0;
  for (const text of output.split('\n')) {
    const head = new RegExp(`^${escaped}\\((\\d+),\\d+\\): (.*)$`).exec(text);
    if (head) errors.set((line = Number(head[1])), (errors.get(line) ?? '') + head[2]);
    else if (line) errors.set(line, errors.get(line) + text);
  }
  return errors;
}
