// A small CIFAR-10 folder in the official binary layout (six batch files of `records` records
// each, deterministic pixels and labels): CLI tests that need data but not real images start fast.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CIFAR10_BATCH_DIR, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, CIFAR_RECORD_BYTES } from '../../src/data/cifar.js';

export async function syntheticCifarDir(records = 32, salt = 0): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-synthetic-'));
  const dir = path.join(root, CIFAR10_BATCH_DIR);
  await mkdir(dir);
  for (const [k, name] of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].entries()) {
    const bytes = new Uint8Array(records * CIFAR_RECORD_BYTES);
    for (let r = 0; r < records; r++) {
      const at = r * CIFAR_RECORD_BYTES;
      bytes[at] = (r * 3 + k) % 10;
      for (let i = 1; i < CIFAR_RECORD_BYTES; i++) bytes[at + i] = (r * 7 + i * 13 + k * 31 + salt) & 255;
    }
    await writeFile(path.join(dir, name), bytes);
  }
  return root;
}
