import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CIFAR10_MEAN, CIFAR10_STD, fromCHW, horizontalFlip, randomCrop, toNormalizedCHW } from '../src/data/augment.js';
import { cifar10Policy } from '../src/data/autoaugment.js';
import { createLoader, type Batch, type LoaderOptions } from '../src/data/loader.js';
import { createRng, streamRng } from '../src/data/rng.js';

const N = 300;
const IMG = 3072;

/** N random records (on a SharedArrayBuffer, as loadCifar10 returns them) with labels i % 10. */
function dataset(shared = true): { images: Uint8Array; labels: Uint8Array } {
  const rng = createRng(99);
  const images = shared ? new Uint8Array(new SharedArrayBuffer(N * IMG)) : new Uint8Array(N * IMG);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  return { images, labels: Uint8Array.from({ length: N }, (_, i) => i % 10) };
}
const data = dataset();

async function collect(opts: Partial<LoaderOptions>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of createLoader({ ...data, batchSize: 64, ...opts })) out.push(b);
  return out;
}

/** Byte-exact equality of float arrays (t.deepEqual is slow on large arrays). */
function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

test('batch shapes, counts and labels; dropLast and limit', async (t) => {
  const batches = await collect({ workers: 0 });
  t.deepEqual(batches.map((b) => b.count), [64, 64, 64, 64, 44]);
  for (const b of batches) {
    t.is(b.images.length, b.count * 3 * 32 * 32);
    t.is(b.labels.length, b.count);
    t.true(b.labels instanceof Int32Array);
    t.deepEqual([...b.labels], [...b.indices].map((i) => i % 10));
  }
  // No shuffle: file order.
  t.deepEqual([...batches.flatMap((b) => [...b.indices])], Array.from({ length: N }, (_, i) => i));
  const loader = createLoader({ ...data, batchSize: 64, dropLast: true, workers: 0 });
  t.is(loader.batches, 4);
  t.is(loader.records, 256);
  t.deepEqual((await collect({ dropLast: true, workers: 0 })).map((b) => b.count), [64, 64, 64, 64]);
  // limit keeps the first records in file order, also when shuffled.
  const limited = await collect({ limit: 100, shuffle: true, seed: 3, workers: 1 });
  t.deepEqual(limited.map((b) => b.count), [64, 36]);
  t.deepEqual(limited.flatMap((b) => [...b.indices]).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  t.deepEqual(await collect({ limit: 0 }), []);
});

test('option errors', (t) => {
  t.throws(() => createLoader({ ...data, batchSize: 0 }), { message: /batchSize must be a positive integer/ });
  t.throws(() => createLoader({ ...data, batchSize: 8, limit: N + 1 }), { message: /limit must be an integer in 0\.\.300/ });
  t.throws(() => createLoader({ ...data, batchSize: 8, augment: 'mixup' as never }), { message: /augment must be one of none, flip-crop, autoaugment/ });
  t.throws(() => createLoader({ images: data.images.subarray(5), labels: data.labels, batchSize: 8 }), { message: /expected 300 records x 3072/ });
});

test("augment 'none' batches are exactly the normalized pixels", async (t) => {
  const f = Math.fround;
  for (const workers of [0, 2]) {
    const batches = await collect({ workers, batchSize: 50 });
    let checked = 0;
    for (const b of batches) {
      for (let k = 0; k < b.count; k++) {
        const rec = b.indices[k];
        for (let c = 0; c < 3; c++) {
          for (let p = 0; p < 1024; p += 37) {
            const v = data.images[rec * IMG + c * 1024 + p];
            const want = f(f(f(v / 255) - f(CIFAR10_MEAN[c])) / f(CIFAR10_STD[c]));
            if (b.images[k * IMG + c * 1024 + p] !== want) {
              t.fail(`record ${rec} channel ${c} pixel ${p}`);
              return;
            }
            checked++;
          }
        }
      }
    }
    t.is(checked, N * 3 * 28);
  }
});

test('shuffle: a permutation fixed by (seed, epoch)', async (t) => {
  const order = async (seed: number, epoch: number): Promise<number[]> => (await collect({ shuffle: true, seed, epoch, workers: 0 })).flatMap((b) => [...b.indices]);
  const a = await order(1, 0);
  t.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i));
  t.deepEqual(await order(1, 0), a);
  t.notDeepEqual(await order(1, 1), a);
  t.notDeepEqual(await order(2, 0), a);
});

for (const augment of ['flip-crop', 'autoaugment'] as const) {
  test(`${augment}: identical batches for 0, 1, 2 and 3 workers, and per-record streams`, async (t) => {
    const runs = await Promise.all([0, 1, 2, 3].map((workers) => collect({ augment, shuffle: true, seed: 5, epoch: 2, workers, prefetch: 3 })));
    for (const run of runs.slice(1)) {
      t.is(run.length, runs[0].length);
      run.forEach((b, i) => {
        t.deepEqual(b.indices, runs[0][i].indices);
        t.deepEqual(b.labels, runs[0][i].labels);
        t.true(sameFloats(b.images, runs[0][i].images), `batch ${i}`);
      });
    }
    // Each record is the recipe applied with streamRng(seed, epoch, index), wherever it lands.
    const b = runs[2][1];
    let augmented = 0;
    for (let k = 0; k < b.count; k++) {
      const rec = b.indices[k];
      const rng = streamRng(5, 2, rec);
      let im = horizontalFlip(randomCrop(fromCHW(data.images, rec * IMG), rng, 4), rng);
      if (augment === 'autoaugment') im = cifar10Policy(im, rng);
      t.true(sameFloats(b.images.subarray(k * IMG, (k + 1) * IMG), toNormalizedCHW(im)), `record ${rec}`);
      if (!sameFloats(toNormalizedCHW(im), toNormalizedCHW(fromCHW(data.images, rec * IMG)))) augmented++;
    }
    t.true(augmented > b.count * 0.8);
    // Another epoch augments differently.
    const other = await collect({ augment, shuffle: false, seed: 5, epoch: 3, workers: 2 });
    const same = await collect({ augment, shuffle: false, seed: 5, epoch: 2, workers: 1 });
    t.false(sameFloats(other[0].images, same[0].images));
  });
}

test('input not on a SharedArrayBuffer is copied once and gives the same batches', async (t) => {
  const plain = dataset(false);
  t.false(plain.images.buffer instanceof SharedArrayBuffer);
  const a: Batch[] = [];
  for await (const b of createLoader({ ...plain, batchSize: 64, augment: 'flip-crop', seed: 1, workers: 2 })) a.push(b);
  const b = await collect({ augment: 'flip-crop', seed: 1, workers: 0 });
  t.is(a.length, b.length);
  a.forEach((x, i) => t.true(sameFloats(x.images, b[i].images)));
});

const loaderUrl = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/data/loader.js')).href;

/** Runs a script against the built loader in a fresh node process; it must exit by itself. */
async function runChild(body: string): Promise<{ stdout: string; ms: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'data-loader-'));
  try {
    const file = path.join(dir, 'child.mjs');
    await writeFile(file, `import { createLoader } from ${JSON.stringify(loaderUrl)};
const images = new Uint8Array(new SharedArrayBuffer(200 * 3072)).fill(9);
const labels = new Uint8Array(200);
${body}
console.log('ok');
`);
    const start = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 30_000 });
    return { stdout, ms: Date.now() - start };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('workers end with the iteration: full pass, early break, abandoned iterator', async (t) => {
  // Full pass with 2 workers.
  const full = await runChild(`let n = 0;
for await (const b of createLoader({ images, labels, batchSize: 16, augment: 'autoaugment', workers: 2 })) n += b.count;
if (n !== 200) throw new Error('count ' + n);`);
  t.is(full.stdout.trim(), 'ok');
  // break after the first batch (return() terminates the workers).
  const early = await runChild(`for await (const b of createLoader({ images, labels, batchSize: 16, augment: 'flip-crop', workers: 2 })) break;`);
  t.is(early.stdout.trim(), 'ok');
  // next() once, then dropped without return(): idle workers are unref'd, so the process still exits.
  const dropped = await runChild(`const it = createLoader({ images, labels, batchSize: 16, workers: 2, prefetch: 2 })[Symbol.asyncIterator]();
const first = await it.next();
if (first.value.count !== 16) throw new Error('bad batch');
await new Promise((r) => setTimeout(r, 300));`);
  t.is(dropped.stdout.trim(), 'ok');
  // Epoch after epoch, each ended early: closing one pool must not leave the next without a ref
  // (Node would exit mid-await with code 13 and no 'ok').
  const epochs = await runChild(`for (let epoch = 0; epoch < 4; epoch++) {
  for await (const b of createLoader({ images, labels, batchSize: 1, epoch, workers: 1 + (epoch % 2) })) break;
}`);
  t.is(epochs.stdout.trim(), 'ok');
  t.log(`child process wall times: ${full.ms} / ${early.ms} / ${dropped.ms} / ${epochs.ms} ms`);
});
