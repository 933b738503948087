// CIFAR-10 binary format ("cifar-10-batches-bin"): each record is 1 label byte
// followed by 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each plane
// row-major 32x32). Images are kept as CHW uint8, exactly as stored.

import { createHash } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { openBounded, type BoundedFile } from '../io/read-bounded.js';

export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
] as const;
export type Cifar10Class = (typeof CIFAR10_CLASSES)[number];

export const CIFAR_SIDE = 32;
export const CIFAR_IMAGE_BYTES = 3 * CIFAR_SIDE * CIFAR_SIDE; // 3072
export const CIFAR_RECORD_BYTES = 1 + CIFAR_IMAGE_BYTES; // 3073

export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin',
] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_BATCH_DIR = 'cifar-10-batches-bin';
/** A batch file holds 10,000 records: 30,730,000 bytes. Larger files are refused unread. */
export const MAX_BATCH_BYTES = 10_000 * CIFAR_RECORD_BYTES;

/** A CIFAR-10 file or folder that cannot be used; the message names it. */
export class CifarDataError extends Error {
  override name = 'CifarDataError';
}

/** N images (N * 3072 bytes, CHW per image) and their N labels (0..9). */
export interface CifarSplit {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** Checks a batch file's bytes and returns its record count. */
function checkBatch(bytes: Uint8Array, fileName: string): number {
  if (bytes.length === 0) throw new CifarDataError(`${fileName}: file is empty, expected CIFAR-10 records of ${CIFAR_RECORD_BYTES} bytes`);
  if (bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new CifarDataError(
      `${fileName}: size ${bytes.length} is not a multiple of the ${CIFAR_RECORD_BYTES}-byte record ` +
        `(${Math.floor(bytes.length / CIFAR_RECORD_BYTES)} whole records + ${bytes.length % CIFAR_RECORD_BYTES} stray bytes); truncated or not a CIFAR-10 batch`,
    );
  }
  const n = bytes.length / CIFAR_RECORD_BYTES;
  for (let r = 0; r < n; r++) {
    const label = bytes[r * CIFAR_RECORD_BYTES];
    if (label > 9) throw new CifarDataError(`${fileName}: record ${r} has label ${label}, expected 0..9 (is this CIFAR-100 or a corrupt file?)`);
  }
  return n;
}

/** Copies records into images/labels starting at record `at`. */
function copyRecords(bytes: Uint8Array, n: number, images: Uint8Array, labels: Uint8Array, at: number): void {
  for (let r = 0; r < n; r++) {
    const src = r * CIFAR_RECORD_BYTES;
    labels[at + r] = bytes[src];
    images.set(bytes.subarray(src + 1, src + CIFAR_RECORD_BYTES), (at + r) * CIFAR_IMAGE_BYTES);
  }
}

/**
 * Allocates image storage on a SharedArrayBuffer so data-loader worker
 * threads can read it without a copy.
 */
export function allocateImages(count: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(count * CIFAR_IMAGE_BYTES));
}

/** Parses one batch file's bytes; errors name the file and, for bad labels, the record. */
export function parseCifarBatch(bytes: Uint8Array, fileName: string): CifarSplit {
  const n = checkBatch(bytes, fileName);
  const images = allocateImages(n);
  const labels = new Uint8Array(n);
  copyRecords(bytes, n, images, labels, 0);
  return { images, labels, count: n };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The folder holding the batch files: `dir/cifar-10-batches-bin` if it exists
 * (the layout of the official archive once extracted), else `dir` itself.
 */
export async function findBatchDir(dir: string): Promise<string> {
  const nested = path.join(dir, CIFAR10_BATCH_DIR);
  try {
    if ((await stat(nested)).isDirectory()) return nested;
  } catch {
    // not there: use dir itself
  }
  return dir;
}

/** Names of the six batch files missing from `batchDir` (empty when complete). */
export async function missingBatchFiles(batchDir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const f of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) if (!(await exists(path.join(batchDir, f)))) missing.push(f);
  return missing;
}

/**
 * Reads batch files into one split. Each is opened first (regular files of at
 * most MAX_BATCH_BYTES only: a FIFO or /dev/zero is refused unread), so the
 * shared image buffer is allocated once from their sizes.
 */
async function loadSplit(batchDir: string, files: readonly string[], checksums: Record<string, string>): Promise<CifarSplit> {
  const opened: BoundedFile[] = [];
  try {
    for (const f of files) opened.push(await openBounded(path.join(batchDir, f), 'CIFAR-10 batch', MAX_BATCH_BYTES));
    const count = opened.reduce((s, f) => s + Math.floor(f.size / CIFAR_RECORD_BYTES), 0);
    const images = allocateImages(count);
    const labels = new Uint8Array(count);
    let at = 0;
    for (const f of opened) {
      const bytes = await f.read(0, f.size);
      const n = checkBatch(bytes, f.path);
      checksums[path.basename(f.path)] = createHash('sha256').update(bytes).digest('hex');
      copyRecords(bytes, n, images, labels, at);
      at += n;
    }
    return { images, labels, count };
  } finally {
    await Promise.all(opened.map((f) => f.close()));
  }
}

/**
 * The records of each split in `dir` (or its cifar-10-batches-bin), from the files' sizes alone:
 * null when a file is missing or not a regular file (loadCifar10 says which).
 */
export async function recordCounts(dir: string): Promise<{ train: number; test: number; dir: string } | null> {
  const batchDir = await findBatchDir(dir);
  const records = async (files: readonly string[]) => {
    let n = 0;
    for (const f of files) {
      const s = await stat(path.join(batchDir, f));
      if (!s.isFile()) throw new Error(`${f} is not a file`);
      n += Math.floor(s.size / CIFAR_RECORD_BYTES);
    }
    return n;
  };
  try {
    return { train: await records(CIFAR10_TRAIN_FILES), test: await records([CIFAR10_TEST_FILE]), dir: batchDir };
  } catch {
    return null;
  }
}

/**
 * Loads the 5 training batches (in order) and the test batch from
 * `dir/cifar-10-batches-bin/` or from `dir` itself, with the SHA-256 of each file.
 */
export async function loadCifar10(dir: string): Promise<{ train: CifarSplit; test: CifarSplit; dir: string; checksums: Record<string, string> }> {
  const batchDir = await findBatchDir(dir);
  const missing = await missingBatchFiles(batchDir);
  if (missing.length) {
    throw new CifarDataError(`CIFAR-10 folder ${batchDir} is missing ${missing.join(', ')} (expected ${CIFAR10_TRAIN_FILES.join(', ')}, ${CIFAR10_TEST_FILE})`);
  }
  const checksums: Record<string, string> = {};
  const train = await loadSplit(batchDir, CIFAR10_TRAIN_FILES, checksums);
  const test = await loadSplit(batchDir, [CIFAR10_TEST_FILE], checksums);
  return { train, test, dir: batchDir, checksums };
}
