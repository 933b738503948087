import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CIFAR10_CLASSES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, CIFAR_IMAGE_BYTES, CIFAR_RECORD_BYTES, loadCifar10, parseCifarBatch,
} from '../src/data/cifar.js';

/** Records whose pixel bytes are (record tag + position) mod 256 and labels as given. */
function batch(labels: number[], tag: number): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR_RECORD_BYTES);
  labels.forEach((label, r) => {
    out[r * CIFAR_RECORD_BYTES] = label;
    for (let i = 0; i < CIFAR_IMAGE_BYTES; i++) out[r * CIFAR_RECORD_BYTES + 1 + i] = (tag + r * 7 + i) % 256;
  });
  return out;
}

async function tmpDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'data-cifar-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes the six batch files, file k holding records with tag 10 k and labels k, k+1. */
async function writeBatches(dir: string, files = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [k, f] of files.entries()) await writeFile(path.join(dir, f), batch([k, k + 1], 10 * k));
}

test('class names', (t) => {
  t.deepEqual([...CIFAR10_CLASSES], ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
});

test('parseCifarBatch splits labels and CHW pixels', (t) => {
  const bytes = batch([3, 9, 0], 5);
  const { images, labels, count } = parseCifarBatch(bytes, 'x.bin');
  t.is(count, 3);
  t.deepEqual([...labels], [3, 9, 0]);
  t.is(images.length, 3 * 3072);
  // Record 1's first red byte is (5 + 7) % 256 and its first blue byte (5 + 7 + 2048) % 256.
  t.is(images[3072], 12);
  t.is(images[3072 + 2048], (12 + 2048) % 256);
  t.deepEqual(images.subarray(2 * 3072), bytes.subarray(2 * CIFAR_RECORD_BYTES + 1));
  t.true(images.buffer instanceof SharedArrayBuffer);
});

test('parseCifarBatch errors name the file and the problem', (t) => {
  t.throws(() => parseCifarBatch(new Uint8Array(0), 'empty.bin'), { message: /^empty\.bin: file is empty/ });
  const short = batch([1, 2], 0).subarray(0, 2 * CIFAR_RECORD_BYTES - 5);
  t.throws(() => parseCifarBatch(short, 'short.bin'), { message: /^short\.bin: size 6141 is not a multiple of the 3073-byte record \(1 whole records \+ 3068 stray bytes\)/ });
  const bad = batch([1, 10, 2], 0);
  t.throws(() => parseCifarBatch(bad, 'bad.bin'), { message: /^bad\.bin: record 1 has label 10, expected 0\.\.9/ });
  const err = t.throws(() => parseCifarBatch(bad, 'bad.bin'));
  t.false(err?.message.includes('\n'));
});

test('loadCifar10 reads the five train batches in order and the test batch', async (t) => {
  const dir = await tmpDir(t);
  await writeBatches(path.join(dir, 'cifar-10-batches-bin'));
  const { train, test: testSplit, dir: batchDir } = await loadCifar10(dir);
  t.is(batchDir, path.join(dir, 'cifar-10-batches-bin'));
  t.is(train.count, 10);
  t.deepEqual([...train.labels], [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
  t.is(train.images.length, 10 * 3072);
  // Record 2 (first of data_batch_2) has tag 10: first byte 10.
  t.is(train.images[2 * 3072], 10);
  t.is(testSplit.count, 2);
  t.deepEqual([...testSplit.labels], [5, 6]);
  t.is(testSplit.images[0], 50);
  t.true(train.images.buffer instanceof SharedArrayBuffer);
  // The batch folder itself works too.
  const direct = await loadCifar10(path.join(dir, 'cifar-10-batches-bin'));
  t.deepEqual(direct.train.labels, train.labels);
});

test('loadCifar10 names missing and bad files', async (t) => {
  const dir = await tmpDir(t);
  await writeBatches(dir, ['data_batch_1.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']);
  await t.throwsAsync(loadCifar10(dir), { message: /is missing data_batch_2\.bin, test_batch\.bin/ });
  await writeBatches(dir);
  await writeFile(path.join(dir, 'data_batch_4.bin'), batch([1, 2], 0).subarray(0, 4000));
  await t.throwsAsync(loadCifar10(dir), { message: new RegExp(`data_batch_4\\.bin: size 4000 is not a multiple`) });
  await writeFile(path.join(dir, 'data_batch_4.bin'), batch([1, 12], 0));
  await t.throwsAsync(loadCifar10(dir), { message: /data_batch_4\.bin: record 1 has label 12/ });
});
