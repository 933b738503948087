import test from 'ava';
import {
  CIFAR10_MEAN, CIFAR10_STD, cropPadded, flipLeftRight, fromCHW, horizontalFlip, randomCrop, toCHW, toNormalizedCHW,
  type RgbImage,
} from '../src/data/augment.js';
import { createRng } from '../src/data/rng.js';

/** 3x3 image whose pixel (x, y) is (10 y + x, 100 + 10 y + x, 200 + 10 y + x). */
function grid(): RgbImage {
  const data = new Uint8Array(27);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) data.set([10 * y + x, 100 + 10 * y + x, 200 + 10 * y + x], (y * 3 + x) * 3);
  return { width: 3, height: 3, data };
}
const red = (im: RgbImage): number[] => Array.from({ length: im.width * im.height }, (_, p) => im.data[p * 3]);

test('fromCHW reads R, G, B planes into interleaved pixels; toCHW inverts it', (t) => {
  // 2x2 record: R plane 1 2 3 4, G plane 5 6 7 8, B plane 9 10 11 12, after one leading byte (a label).
  const record = Uint8Array.from([99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const im = fromCHW(record, 1, 2, 2);
  t.deepEqual([...im.data], [1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12]);
  t.deepEqual([...toCHW(im)], [...record.subarray(1)]);
  t.throws(() => fromCHW(record, 2, 2, 2), { instanceOf: RangeError });
});

test('cropPadded: zero padding, crop corner in padded coordinates', (t) => {
  const im = grid();
  // pad 1: padded image is 5x5; top = left = 1 is the original.
  t.deepEqual(red(cropPadded(im, 1, 1, 1)), red(im));
  // top 0, left 0: shifted right and down by one; the first row and column are padding (0 in all channels).
  const c = cropPadded(im, 1, 0, 0);
  t.deepEqual(red(c), [0, 0, 0, 0, 0, 1, 0, 10, 11]);
  t.deepEqual([...c.data.subarray(0, 3)], [0, 0, 0]);
  t.deepEqual([...c.data.subarray(12, 15)], [0, 100, 200]);
  // top 2, left 2: shifted up and left.
  t.deepEqual(red(cropPadded(im, 1, 2, 2)), [11, 12, 0, 21, 22, 0, 0, 0, 0]);
});

test('randomCrop draws top then left uniformly in 0..2*pad', (t) => {
  const im = grid();
  const seen = new Set<string>();
  for (let s = 0; s < 400; s++) {
    const probe = createRng(s);
    const top = probe.int(9);
    const left = probe.int(9);
    seen.add(`${top},${left}`);
    t.deepEqual(randomCrop(im, createRng(s), 4).data, cropPadded(im, 4, top, left).data);
  }
  t.true(seen.size > 70); // of 81 possible offsets
});

test('flipLeftRight mirrors rows; horizontalFlip flips when next() < p', (t) => {
  const im = grid();
  t.deepEqual(red(flipLeftRight(im)), [2, 1, 0, 12, 11, 10, 22, 21, 20]);
  t.deepEqual([...flipLeftRight(im).data.subarray(0, 3)], [2, 102, 202]);
  t.is(horizontalFlip(im, createRng(0), 0), im);
  t.deepEqual(horizontalFlip(im, createRng(0), 1).data, flipLeftRight(im).data);
  let flips = 0;
  for (let s = 0; s < 2000; s++) {
    const flipped = horizontalFlip(im, createRng(s)) !== im;
    t.is(flipped, createRng(s).next() < 0.5);
    if (flipped) flips++;
  }
  t.true(Math.abs(flips - 1000) < 120);
});

test('toNormalizedCHW = ToTensor + Normalize in float32, CHW order', (t) => {
  const im: RgbImage = { width: 2, height: 1, data: Uint8Array.from([0, 128, 255, 255, 0, 64]) };
  const out = toNormalizedCHW(im);
  t.is(out.length, 6);
  const f = Math.fround;
  const expect = (v: number, c: number): number => f(f(f(v / 255) - f(CIFAR10_MEAN[c])) / f(CIFAR10_STD[c]));
  // Layout: R of pixel 0, R of pixel 1, G..., B...
  t.deepEqual([...out], [expect(0, 0), expect(255, 0), expect(128, 1), expect(0, 1), expect(255, 2), expect(64, 2)]);
  // Sanity against the decimal formula: (1 - 0.4914) / 0.247 = 2.05911, (0 - 0.4822) / 0.2435 = -1.98029.
  t.true(Math.abs(out[1] - 2.05911) < 1e-4);
  t.true(Math.abs(out[3] + 1.98029) < 1e-4);
  // Writing at an offset into a larger batch buffer.
  const batch = new Float32Array(12).fill(7);
  toNormalizedCHW(im, batch, 6);
  t.deepEqual([...batch.subarray(0, 6)], [7, 7, 7, 7, 7, 7]);
  t.deepEqual([...batch.subarray(6)], [...out]);
  t.throws(() => toNormalizedCHW(im, batch, 7), { instanceOf: RangeError });
});
