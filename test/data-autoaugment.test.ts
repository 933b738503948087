import test from 'ava';
import type { RgbImage } from '../src/data/augment.js';
import {
  CIFAR10_POLICY, FILL, MAGNITUDES, SIGNED_OPS, applyOp, applyPlan, autocontrast, brightness, cifar10Policy, color,
  contrast, equalize, invert, luma, posterize, rotate, samplePolicy, sharpness, shearX, shearY, smooth, solarize,
  translateX, translateY,
} from '../src/data/autoaugment.js';
import { createRng } from '../src/data/rng.js';

type Px = readonly [number, number, number];

/** Builds an HWC image from row-major pixels. */
function img(width: number, height: number, pixels: readonly Px[]): RgbImage {
  if (pixels.length !== width * height) throw new Error('bad test image');
  return { width, height, data: Uint8Array.from(pixels.flat()) };
}
const gray = (v: number): Px => [v, v, v];
const pixels = (im: RgbImage): Px[] => Array.from({ length: im.width * im.height }, (_, i) => [im.data[3 * i], im.data[3 * i + 1], im.data[3 * i + 2]] as Px);
const F: Px = [FILL[0], FILL[1], FILL[2]];

// ------------------------------------------------------------------ LUT ops

test('invert: 255 - v per channel', (t) => {
  const out = invert(img(2, 1, [[0, 100, 255], [1, 2, 3]]));
  t.deepEqual(pixels(out), [[255, 155, 0], [254, 253, 252]]);
});

test('posterize keeps the top bits', (t) => {
  // bits 5: mask ~(2^3 - 1) = 0b11111000. 7 -> 0, 8 -> 8, 100 (0b01100100) -> 96, 255 -> 248, 13 -> 8, 200 (0b11001000) -> 200.
  t.deepEqual(pixels(posterize(img(2, 1, [[7, 8, 100], [255, 13, 200]]), 5)), [[0, 8, 96], [248, 8, 200]]);
  // bits 4: mask 0b11110000. 100 -> 96, 255 -> 240, 31 -> 16.
  t.deepEqual(pixels(posterize(img(1, 1, [[100, 255, 31]]), 4)), [[96, 240, 16]]);
  // bits 8 is the identity.
  t.deepEqual(pixels(posterize(img(1, 1, [[1, 127, 255]]), 8)), [[1, 127, 255]]);
});

test('solarize inverts values >= threshold', (t) => {
  const im = img(2, 1, [[199, 200, 255], [0, 128, 27]]);
  // threshold 199.11 (index 2): 199 < 199.11 stays, 200 -> 55, 255 -> 0; others stay.
  t.deepEqual(pixels(solarize(im, MAGNITUDES.solarize[2])), [[199, 55, 0], [0, 128, 27]]);
  // threshold 256 (index 0): nothing changes; threshold 0 (index 9): everything is inverted.
  t.deepEqual(pixels(solarize(im, 256)), pixels(im));
  t.deepEqual(pixels(solarize(im, 0)), [[56, 55, 0], [255, 127, 228]]);
});

test('autocontrast stretches each channel separately, truncating', (t) => {
  // R: lo 10, hi 95 -> scale 255/85 = 3, offset -30: 10 -> 0, 50 -> 120, 95 -> 255.
  // G: lo 100, hi 151 -> scale 5, offset -500: 100 -> 0, 120 -> 100, 151 -> 255.
  // B: a single value (hi <= lo) -> identity.
  const out = autocontrast(img(3, 1, [[10, 100, 77], [50, 120, 77], [95, 151, 77]]));
  t.deepEqual(pixels(out), [[0, 0, 77], [120, 100, 77], [255, 255, 77]]);
  // lo 0, hi 2 -> scale 127.5: 1 -> int(127.5) = 127 (truncation, not rounding).
  t.deepEqual(pixels(autocontrast(img(3, 1, [gray(0), gray(1), gray(2)]))), [gray(0), gray(127), gray(255)]);
});

test('equalize follows ImageOps.equalize step arithmetic per channel', (t) => {
  // 32x32 = 1024 pixels.
  // R: 512 x 10, 512 x 200. step = (1024 - 512) // 255 = 2, n starts at 2 // 2 = 1.
  //    lut[10] = 1 // 2 = 0; then n = 513, lut[200] = 513 // 2 = 256 -> clipped to 255.
  // G: 256 x 0, 512 x 100, 256 x 255. step = (1024 - 256) // 255 = 3, n = 1.
  //    lut[0] = 0; n = 257 -> lut[100] = 85; n = 769 -> lut[255] = 256 -> 255.
  // B: only 50 -> identity.
  const px: Px[] = [];
  for (let p = 0; p < 1024; p++) px.push([p < 512 ? 10 : 200, p < 256 ? 0 : p < 768 ? 100 : 255, 50]);
  const out = pixels(equalize(img(32, 32, px)));
  t.deepEqual(out[0], [0, 0, 50]);
  t.deepEqual(out[300], [0, 85, 50]);
  t.deepEqual(out[600], [255, 85, 50]);
  t.deepEqual(out[1000], [255, 255, 50]);
  // Fewer than 255 pixels below the top value: step 0 -> identity.
  const small = img(2, 2, [gray(1), gray(2), gray(3), gray(4)]);
  t.deepEqual(pixels(equalize(small)), pixels(small));
});

// ------------------------------------------------------------------ blends

test('luma is PIL L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16', (t) => {
  // (255, 255, 0): (4996725 + 9809850 + 32768) >> 16 = 14839343 >> 16 = 226 (R*299/1000+... would truncate to 225).
  t.is(luma(255, 255, 0), 226);
  // (130, 120, 110): 8018328 >> 16 = 122. Gray pixels map to themselves.
  t.is(luma(130, 120, 110), 122);
  for (const v of [0, 1, 127, 128, 255]) t.is(luma(v, v, v), v);
});

test('color blends with the grayscale image in float32, truncating', (t) => {
  const im = img(2, 1, [[255, 255, 0], [130, 120, 110]]); // L = 226 and 122
  // factor 0 returns the degenerate (gray) image.
  t.deepEqual(pixels(color(im, 0)), [gray(226), gray(122)]);
  // factor 0.5: 226 + 0.5 (255 - 226) = 240.5 -> 240; 226 + 0.5 (0 - 226) = 113.
  //             122 + 0.5 * 8 = 126; 122 + 0.5 * -2 = 121; 122 + 0.5 * -12 = 116.
  t.deepEqual(pixels(color(im, 0.5)), [[240, 240, 113], [126, 121, 116]]);
  // factor 1.9 (extrapolation, clipped): 226 + 1.9 * 29 = 281.1 -> 255; 226 - 1.9 * 226 < 0 -> 0.
  //             122 + 1.9 * 8 = 137.2 -> 137; 122 - 3.8 = 118.2 -> 118; 122 - 22.8 = 99.2 -> 99.
  t.deepEqual(pixels(color(im, 1.9)), [[255, 255, 0], [137, 118, 99]]);
  // factor 1 returns the image itself.
  t.deepEqual(pixels(color(im, 1)), pixels(im));
});

test('brightness: float32 blend with black (where double arithmetic would differ)', (t) => {
  // factor 1 - 0.9 = 0.09999999999999998 becomes float32 0.099999998. 10 * that = 0.99999998 rounds
  // (float32) to 1.0 -> 1; 30 * that -> 3.0 -> 3 (double arithmetic would give 0 and 2).
  // 255 * 0.099999998 = 25.4999994 -> 25.
  t.deepEqual(pixels(brightness(img(1, 1, [[10, 30, 255]]), 1 + -0.9)), [[1, 3, 25]]);
  // factor 1.9 (float32 1.89999998): 100 -> 189.9999976 -> float32 190 -> 190 (double: 189.99999999999997 -> 189);
  // 134 -> 254.6 -> 254; 200 -> 380 -> clipped 255.
  t.deepEqual(pixels(brightness(img(1, 1, [[100, 134, 200]]), 1.9)), [[190, 254, 255]]);
});

test('contrast blends with int(mean(L) + 0.5)', (t) => {
  // Gray pixels 10, 20, 30, 41: mean 25.25 -> int(25.75) = 25.
  const a = img(2, 2, [gray(10), gray(20), gray(30), gray(41)]);
  // factor 0.5: 25 + 0.5 (v - 25): 17.5 -> 17, 22.5 -> 22, 27.5 -> 27, 33.
  t.deepEqual(pixels(contrast(a, 0.5)), [gray(17), gray(22), gray(27), gray(33)]);
  // factor 1.5: 25 + 1.5 (v - 25): 2.5 -> 2, 17.5 -> 17, 32.5 -> 32, 49.
  t.deepEqual(pixels(contrast(a, 1.5)), [gray(2), gray(17), gray(32), gray(49)]);
  // 10, 20, 30, 42: mean 25.5 -> int(26.0) = 26 (rounds half up); factor 0 is the flat image.
  t.deepEqual(pixels(contrast(img(2, 2, [gray(10), gray(20), gray(30), gray(42)]), 0)), [gray(26), gray(26), gray(26), gray(26)]);
  // Colour: L(255,255,0) = 226, L(0,0,0) = 0 -> mean 113 -> int(113.5) = 113.
  t.deepEqual(pixels(contrast(img(2, 1, [[255, 255, 0], [0, 0, 0]]), 0)), [gray(113), gray(113)]);
});

test('smooth and sharpness: PIL SMOOTH kernel, border copied', (t) => {
  // 3x3, only the centre is filtered. Kernel weights float32(1/13) and float32(5/13).
  // R: border 13, centre 0 -> 8 * 13/13 + 0 = 8, + 0.5 rounding offset -> 8.5 -> 8.
  // G: border 0, centre 26 -> 26 * 5/13 = 10 -> 10.5 -> 10.
  // B: rows 0 / 13 / 26 -> (0*3 + 13 + 65 + 13 + 26*3) / 13 = 13 -> 13.5 -> 13.
  const im = img(3, 3, [
    [13, 0, 0], [13, 0, 0], [13, 0, 0],
    [13, 0, 13], [0, 26, 13], [13, 0, 13],
    [13, 0, 26], [13, 0, 26], [13, 0, 26],
  ]);
  const blurred = pixels(smooth(im));
  t.deepEqual(blurred[4], [8, 10, 13]);
  t.deepEqual(blurred.filter((_, i) => i !== 4), pixels(im).filter((_, i) => i !== 4));
  // sharpness f = blend(smooth, image, f). Centre: R 8 + f (0 - 8); G 10 + f (26 - 10); B 13.
  // f = 0.5: R 4, G 18, B 13.  f = 1.5: R -4 -> 0, G 34, B 13.  Border pixels unchanged.
  t.deepEqual(pixels(sharpness(im, 0.5))[4], [4, 18, 13]);
  const sharp = pixels(sharpness(im, 1.5));
  t.deepEqual(sharp[4], [0, 34, 13]);
  t.deepEqual(sharp.filter((_, i) => i !== 4), pixels(im).filter((_, i) => i !== 4));
  // Images under 3x3 are not filtered.
  const tiny = img(2, 2, [gray(0), gray(255), gray(255), gray(0)]);
  t.deepEqual(pixels(smooth(tiny)), pixels(tiny));
});

// ------------------------------------------------------------------ geometry

test('translateX / translateY: nearest sample at floor(x + 0.5 + t), gray fill', (t) => {
  const p: Px[] = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]];
  const row = img(4, 1, p);
  // t = 1: x + 1.5 -> x + 1: content moves left by one.
  t.deepEqual(pixels(translateX(row, 1)), [p[1], p[2], p[3], F]);
  // t = 1.4: x + 1.9 -> still x + 1.
  t.deepEqual(pixels(translateX(row, 1.4)), [p[1], p[2], p[3], F]);
  // t = -0.6: x - 0.1: x = 0 samples -0.1 -> outside; x = 1 -> 0.9 -> 0, ...
  t.deepEqual(pixels(translateX(row, -0.6)), [F, p[0], p[1], p[2]]);
  // Policy magnitude index 9 is 150/331 of the width: 1.8127 px -> x + 2.31 -> x + 2.
  t.deepEqual(pixels(applyOp(row, 'translateX', MAGNITUDES.translateX[9])), [p[2], p[3], F, F]);
  t.deepEqual(pixels(applyOp(row, 'translateX', -MAGNITUDES.translateX[9])), [F, F, p[0], p[1]]);
  const col = img(1, 4, p);
  t.deepEqual(pixels(translateY(col, 1)), [p[1], p[2], p[3], F]);
  t.deepEqual(pixels(translateY(col, -2)), [F, F, p[0], p[1]]);
});

test('shearX / shearY: PIL bicubic (a = -1) with edge clamping, clipping and fill', (t) => {
  // 4x1 image, m = 1: output x samples input x + 0.5 + 1 * 0.5 = x + 1 (pixel-centre coordinates), i.e.
  // halfway between pixels x and x + 1 (d = 0.5). With d = 0.5 PIL's cubic is (-v1 + 5 v2 + 5 v3 - v4) / 8
  // over pixels x-1, x, x+1, x+2 (clamped). x = 3 samples 4.0, outside -> fill.
  // R [0, 80, 160, 240]: x0 (0,0,80,160) -> 240/8 = 30; x1 (0,80,160,240) -> 120; x2 (80,160,240,240) -> 210.
  // G [200, 0, 200, 0]: x0 (200,200,0,200) -> 75; x1 (200,0,200,0) -> 100; x2 (0,200,0,0) -> 125.
  // B [0, 0, 255, 255]: x0 (0,0,0,255) -> -31.9 -> 0; x1 (0,0,255,255) -> 127.5 -> 127; x2 -> 286.9 -> 255.
  const p: Px[] = [[0, 200, 0], [80, 0, 0], [160, 200, 255], [240, 0, 255]];
  t.deepEqual(pixels(shearX(img(4, 1, p), 1)), [[30, 75, 0], [120, 100, 127], [210, 125, 255], F]);
  // m = -1: x samples x + 0.5 - 0.5 = x (inside for x = 0), halfway between x - 1 and x.
  // x0: R (0,0,0,80) -> -10 -> 0, G (200,200,200,0) -> 225, B (0,0,0,0) -> 0.
  t.deepEqual(pixels(shearX(img(4, 1, p), -1))[0], [0, 225, 0]);
  // ShearY on the transposed image gives the transposed result.
  t.deepEqual(pixels(shearY(img(1, 4, p), 1)), [[30, 75, 0], [120, 100, 127], [210, 125, 255], F]);
  // A flat image stays flat where the sample is inside; with m = 0.3 on 4x4, the sample for row y is
  // x + 0.5 + 0.3 (y + 0.5): rows 2 and 3 push x = 3 to 4.25 and 4.55 -> fill; m = -0.3 pushes x = 0 of rows 2, 3 below 0.
  const flat = img(4, 4, Array.from({ length: 16 }, () => gray(77)));
  const pos = pixels(shearX(flat, 0.3));
  const neg = pixels(shearX(flat, -0.3));
  for (let i = 0; i < 16; i++) {
    const [x, y] = [i % 4, Math.floor(i / 4)];
    t.deepEqual(pos[i], x === 3 && y >= 2 ? F : gray(77), `+0.3 at ${x},${y}`);
    t.deepEqual(neg[i], x === 0 && y >= 2 ? F : gray(77), `-0.3 at ${x},${y}`);
  }
});

test('rotate: quarter turns are exact transposes', (t) => {
  // a b c / d e f / g h i, counter-clockwise.
  const v = (k: number): Px => [k, 100 + k, 200 + k];
  const im = img(3, 3, [v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8)]);
  const order = (ks: number[]): Px[] => ks.map(v);
  t.deepEqual(pixels(rotate(im, 90)), order([2, 5, 8, 1, 4, 7, 0, 3, 6])); // c f i / b e h / a d g
  t.deepEqual(pixels(rotate(im, 180)), order([8, 7, 6, 5, 4, 3, 2, 1, 0]));
  t.deepEqual(pixels(rotate(im, -90)), order([6, 3, 0, 7, 4, 1, 8, 5, 2])); // g d a / h e b / i f c
  t.deepEqual(pixels(rotate(im, 360)), pixels(im));
});

test('rotate: 45 degrees, nearest neighbour about the centre, gray outside', (t) => {
  // 5x5, centre (2.5, 2.5). With u = x - 2, v = y - 2 (offsets of pixel centres from the centre) and
  // s = cos 45 = 0.7071, output (x, y) samples (2.5 + s (u - v), 2.5 + s (u + v)), floored.
  // floor(2.5 + s k) for k = -3..3 is 0, 1, 1, 2, 3, 3, 4; |k| = 4 gives -0.33 or 5.33: outside -> fill.
  // Pixel value = 5 y + x (index); output index = 5 T(u + v) + T(u - v):
  const im = img(5, 5, Array.from({ length: 25 }, (_, k) => [k, k, 200 - k] as Px));
  const expected = [
    -1, 3, 8, 9, -1,
    1, 7, 8, 13, 19,
    6, 6, 12, 18, 18,
    5, 11, 16, 17, 23,
    -1, 15, 16, 21, -1,
  ].map((k): Px => (k < 0 ? F : [k, k, 200 - k]));
  t.deepEqual(pixels(rotate(im, 45)), expected);
  // The policy's rotate magnitude index 2 is 2 * 30/9 degrees, with a sign.
  t.deepEqual(pixels(applyOp(im, 'rotate', -MAGNITUDES.rotate[2])), pixels(rotate(im, -20 / 3)));
});

// ------------------------------------------------------------------ policy

test('magnitude tables match numpy linspace values of the reference', (t) => {
  t.deepEqual(MAGNITUDES.posterize, [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]); // round(linspace(8, 4, 10))
  t.is(MAGNITUDES.shearX[8], 8 * (0.3 / 9));
  t.is(MAGNITUDES.translateY[9], 150 / 331);
  t.is(MAGNITUDES.rotate[2], 2 * (30 / 9));
  t.is(MAGNITUDES.solarize[2], 2 * (-256 / 9) + 256);
  t.is(MAGNITUDES.solarize[9], 0);
  t.is(MAGNITUDES.color[9], 0.9);
  t.deepEqual(MAGNITUDES.invert, new Array(10).fill(0));
  const signed = ['shearX', 'shearY', 'translateX', 'translateY', 'rotate', 'color', 'contrast', 'sharpness', 'brightness'];
  t.deepEqual([...SIGNED_OPS].sort(), signed.sort());
});

test('CIFAR10_POLICY is the reference list of 25 sub-policies', (t) => {
  // DeepVoltaire/AutoAugment autoaugment.py, CIFAR10Policy.__init__ (p1, op1, m1, p2, op2, m2).
  const reference = [
    '0.1 invert 7 0.2 contrast 6',
    '0.7 rotate 2 0.3 translateX 9',
    '0.8 sharpness 1 0.9 sharpness 3',
    '0.5 shearY 8 0.7 translateY 9',
    '0.5 autocontrast 8 0.9 equalize 2',
    '0.2 shearY 7 0.3 posterize 7',
    '0.4 color 3 0.6 brightness 7',
    '0.3 sharpness 9 0.7 brightness 9',
    '0.6 equalize 5 0.5 equalize 1',
    '0.6 contrast 7 0.6 sharpness 5',
    '0.7 color 7 0.5 translateX 8',
    '0.3 equalize 7 0.4 autocontrast 8',
    '0.4 translateY 3 0.2 sharpness 6',
    '0.9 brightness 6 0.2 color 8',
    '0.5 solarize 2 0.0 invert 3',
    '0.2 equalize 0 0.6 autocontrast 0',
    '0.2 equalize 8 0.6 equalize 4',
    '0.9 color 9 0.6 equalize 6',
    '0.8 autocontrast 4 0.2 solarize 8',
    '0.1 brightness 3 0.7 color 0',
    '0.4 solarize 5 0.9 autocontrast 3',
    '0.9 translateY 9 0.7 translateY 9',
    '0.9 autocontrast 2 0.8 solarize 3',
    '0.8 equalize 8 0.1 invert 3',
    '0.7 translateY 9 0.9 autocontrast 1',
  ];
  const parsed = reference.map((s) => {
    const [p1, o1, m1, p2, o2, m2] = s.split(' ');
    return [Number(p1), o1, Number(m1), Number(p2), o2, Number(m2)];
  });
  t.is(parsed.length, 25);
  t.deepEqual(CIFAR10_POLICY.map((s) => [...s]), parsed);
});

function randomImage(seed: number): RgbImage {
  const rng = createRng(seed);
  const data = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width: 32, height: 32, data };
}

test('cifar10Policy is deterministic under a seed and equals applying its sampled plan', (t) => {
  const im = randomImage(1);
  let changed = 0;
  for (let seed = 0; seed < 60; seed++) {
    const a = cifar10Policy(im, createRng(seed));
    const b = cifar10Policy(im, createRng(seed));
    t.deepEqual(a.data, b.data);
    const plan = samplePolicy(createRng(seed));
    t.deepEqual(applyPlan(im, plan).data, a.data);
    if (plan.ops.length) changed++;
    // Each applied op is the one of its half of the chosen sub-policy, with its table magnitude (signed where the op is).
    const sub = CIFAR10_POLICY[plan.index];
    for (const { half, op, magnitude } of plan.ops) {
      t.is(op, sub[half === 0 ? 1 : 4]);
      const mi = sub[half === 0 ? 2 : 5] as number;
      t.is(Math.abs(magnitude), MAGNITUDES[op][mi]);
    }
  }
  t.true(changed > 20);
  t.notDeepEqual(cifar10Policy(im, createRng(1)).data, cifar10Policy(im, createRng(2)).data);
});

test('cifar10Policy picks sub-policies uniformly and fires each half with its probability', (t) => {
  const rng = createRng(12345);
  const n = 50000;
  const picks = new Array<number>(25).fill(0);
  const fired = [new Array<number>(25).fill(0), new Array<number>(25).fill(0)];
  let negative = 0;
  let signed = 0;
  for (let i = 0; i < n; i++) {
    const plan = samplePolicy(rng);
    picks[plan.index]++;
    for (const { half, op, magnitude } of plan.ops) {
      fired[half][plan.index]++;
      if (SIGNED_OPS.has(op) && magnitude !== 0) {
        signed++;
        if (magnitude < 0) negative++;
      }
    }
  }
  // Binomial(50000, 1/25): mean 2000, sd 44; allow 5 sd.
  for (const c of picks) t.true(Math.abs(c - 2000) < 220, `pick count ${c}`);
  // Each half fires with its probability p: Binomial(~2000, p), sd <= 22.4; allow 0.06 (>5 sd).
  CIFAR10_POLICY.forEach(([p1, , , p2], k) => {
    t.true(Math.abs(fired[0][k] / picks[k] - p1) < 0.06, `sub-policy ${k} half 1`);
    t.true(Math.abs(fired[1][k] / picks[k] - p2) < 0.06, `sub-policy ${k} half 2`);
  });
  // The invert half of sub-policy 14 has probability 0.0 and never fires.
  t.is(fired[1][14], 0);
  t.true(Math.abs(negative / signed - 0.5) < 0.02);
});
