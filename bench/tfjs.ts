// The TF.js reference bench (../shared/bench/tfjs-vit), installed once per machine into a temp
// folder (`npm ci` there, never in the shared folder): for side-by-side numbers in one run.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** SHAPED_VIT_SHARED, else ../shared beside the checkout, else /work/shared. */
function sharedBench(): string {
  const candidates = [process.env.SHAPED_VIT_SHARED, path.resolve(repoRoot, '../shared'), '/work/shared'].filter((d): d is string => !!d);
  const found = candidates.map((d) => path.join(d, 'bench/tfjs-vit')).find((d) => existsSync(path.join(d, 'bench.js')));
  if (!found) throw new Error(`--vs tfjs: no tfjs-vit bench found (looked in ${candidates.map((d) => path.join(d, 'bench/tfjs-vit')).join(', ')})`);
  return found;
}

/** A ready copy of tfjs-vit with its packages installed; installs it on first use (a minute). */
export function tfjsVitDir(): string {
  const dir = path.join(os.tmpdir(), 'shaped-vit-tfjs-vit');
  if (existsSync(path.join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm'))) return dir;
  const work = mkdtempSync(path.join(os.tmpdir(), 'shaped-vit-tfjs-vit-'));
  cpSync(sharedBench(), work, { recursive: true, filter: (src) => !src.includes('node_modules') });
  console.error(`installing TF.js for the comparison into ${dir} (npm ci, once)`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return dir;
}

/** TF.js (tfjs-core) with its wasm backend ready, loaded from the tfjs-vit copy. */
export async function tfjsWasm(): Promise<any> {
  const { useBackend } = createRequire(path.join(tfjsVitDir(), 'package.json'))('./lib/backend.js');
  return useBackend('wasm');
}
