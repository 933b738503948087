// The peer benches in ../shared/bench (tfjs-vit, jaxjs-vit, torch-vit), for side-by-side numbers in
// one run. A JavaScript peer is copied once per machine into a temp folder and `npm ci`'d there (never
// in the shared folder, which is read-only); later runs reuse that copy.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** ../shared/bench/NAME: SHAPED_VIT_SHARED, else ../shared beside the checkout, else /work/shared. */
export function sharedBench(name: string, entry: string): string {
  const candidates = [process.env.SHAPED_VIT_SHARED, path.resolve(repoRoot, '../shared'), '/work/shared'].filter((d): d is string => !!d);
  const found = candidates.map((d) => path.join(d, 'bench', name)).find((d) => existsSync(path.join(d, entry)));
  if (!found) throw new Error(`no ${name} bench found (looked for ${entry} in ${candidates.map((d) => path.join(d, 'bench', name)).join(', ')})`);
  return found;
}

/** A ready copy of a JavaScript peer bench with its packages installed (`marker` exists once they are); installs it on first use (a minute). */
export function peerBenchDir(name: string, marker: string): string {
  const dir = path.join(os.tmpdir(), `shaped-vit-${name}`);
  if (existsSync(path.join(dir, marker))) return dir;
  const work = mkdtempSync(path.join(os.tmpdir(), `shaped-vit-${name}-`));
  cpSync(sharedBench(name, 'bench.js'), work, { recursive: true, filter: (src) => !src.includes('node_modules') });
  console.error(`${name}: not installed yet; copying it and running npm ci in ${dir} (once)`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return dir;
}
