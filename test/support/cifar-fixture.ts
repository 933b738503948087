// Real CIFAR-10 for tests, made once per machine from ../shared/data/cifar10 (about 15 s).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The project's shared material: SHAPED_VIT_SHARED, else ../shared beside the checkout, else
 * /work/shared (where a checkout elsewhere, e.g. a CI clone, still finds it).
 */
export function sharedDir(): string {
  const candidates = [process.env.SHAPED_VIT_SHARED, path.resolve(repoRoot, '../shared'), '/work/shared'].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(path.join(d, 'data/cifar10/make-cifar10.sh'))) ?? candidates[0];
}

/** Folder with cifar-10-batches-bin/ (official binary layout). */
export async function realCifarDir(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'shaped-vit-cifar-fixture');
  if (existsSync(path.join(dir, 'cifar-10-batches-bin', 'test_batch.bin'))) return dir;
  const script = path.join(sharedDir(), 'data/cifar10/make-cifar10.sh');
  const work = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-cifar-'));
  await promisify(execFile)('bash', [script, work], { maxBuffer: 1 << 24 });
  try {
    await rename(work, dir);
  } catch {
    await rm(work, { recursive: true, force: true }); // another test process made it first
  }
  return dir;
}
