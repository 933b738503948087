// predict's input pipeline: PNG (every colour type and bit depth, palette, Adam7) and JPEG
// (baseline, progressive) decoded to known pixels; hostile headers refused before decoding;
// Resize+CenterCrop against torch's antialiased bilinear; attention rollout; the confusion matrix.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_MAX_PIXELS, ImageError, decodeImage, readImageHeader } from '../src/data/image-decode.js';
import { resizeCenterCrop, resizedSize } from '../src/data/resize.js';
import { attentionRollout } from '../src/vit/attention-rollout.js';
import { ConfusionMatrix, renderConfusionSvg } from '../src/train/confusion.js';
import { CHANNELS, SIGNATURE, chunk, encodePng, ihdr, type PngSpec } from './support/png-encode.js';
import { repoRoot } from './support/cifar-fixture.js';

/** Deterministic samples below 2^depth. */
function samples(n: number, depth: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) % 2 ** depth;
  });
}

const to8 = (v: number, depth: number) => Math.floor((v * 255) / (2 ** depth - 1) + 0.5);

/** The RGB bytes PIL's convert('RGB') gives for a PNG spec (alpha dropped, gray copied, depth scaled). */
function expectedRgb(s: PngSpec): number[] {
  const ch = CHANNELS[s.colorType];
  const out: number[] = [];
  for (let i = 0; i < s.width * s.height; i++) {
    const px = Array.from({ length: ch }, (_, c) => s.samples[i * ch + c]);
    if (s.colorType === 3) out.push(...s.palette![px[0]]);
    else if (s.colorType === 0 || s.colorType === 4) out.push(to8(px[0], s.depth), to8(px[0], s.depth), to8(px[0], s.depth));
    else out.push(to8(px[0], s.depth), to8(px[1], s.depth), to8(px[2], s.depth));
  }
  return out;
}

const pngCases: [PngSpec['colorType'], PngSpec['depth']][] = [
  [0, 1], [0, 2], [0, 4], [0, 8], [0, 16],
  [2, 8], [2, 16],
  [3, 1], [3, 2], [3, 4], [3, 8],
  [4, 8], [4, 16],
  [6, 8], [6, 16],
];

for (const [colorType, depth] of pngCases) {
  for (const interlace of [false, true]) {
    test(`PNG colour type ${colorType}, ${depth}-bit${interlace ? ', Adam7' : ''}: decoded pixels are the known values`, async (t) => {
      const width = 13;
      const height = 11; // odd sizes: partial bytes at row ends, every Adam7 pass partly filled
      const palette = colorType === 3 ? Array.from({ length: 2 ** depth }, (_, i) => [(i * 37) & 255, (i * 91 + 7) & 255, 255 - i] as const) : undefined;
      const spec: PngSpec = { width, height, colorType, depth, samples: samples(width * height * CHANNELS[colorType], depth, colorType * 100 + depth), palette, interlace };
      const img = await decodeImage(encodePng(spec));
      t.is(img.width, width);
      t.is(img.height, height);
      t.deepEqual([...img.data], expectedRgb(spec));
    });
  }
}

const require = createRequire(import.meta.url);

async function encodeJpegs(): Promise<{ rgb: Uint8Array; width: number; height: number; baseline: Uint8Array; progressive: Uint8Array }> {
  const enc = await import('@jsquash/jpeg/encode.js');
  await enc.init({ wasmBinary: readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')) } as never);
  const width = 40;
  const height = 24;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const v = [x * 6, y * 10, 128 + ((x + y) % 2) * 8]; // smooth ramps: JPEG keeps them within a few levels
    rgba.set([...v, 255], (y * width + x) * 4);
    rgb.set(v, (y * width + x) * 3);
  }
  const image = { data: rgba, width, height, colorSpace: 'srgb' } as ImageData;
  const progressive = new Uint8Array(await enc.default(image, { quality: 95, progressive: true, baseline: false }));
  const baseline = new Uint8Array(await enc.default(image, { quality: 95, progressive: false, baseline: true }));
  return { rgb, width, height, baseline, progressive };
}

const frameMarkers = (b: Uint8Array) => {
  const found: number[] = [];
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) found.push(b[i + 1]);
  return found;
};

test('JPEG baseline and progressive decode to the encoded pixels (within JPEG loss) and to each other', async (t) => {
  const j = await encodeJpegs();
  t.deepEqual(frameMarkers(j.baseline), [0xc0], 'baseline file has an SOF0 frame');
  t.deepEqual(frameMarkers(j.progressive), [0xc2], 'progressive file has an SOF2 frame');
  const a = await decodeImage(j.baseline);
  const b = await decodeImage(j.progressive);
  for (const img of [a, b]) {
    t.is(img.width, j.width);
    t.is(img.height, j.height);
    let worst = 0;
    for (let i = 0; i < j.rgb.length; i++) worst = Math.max(worst, Math.abs(img.data[i] - j.rgb[i]));
    t.true(worst <= 12, `max deviation ${worst}`);
  }
  // mozjpeg's trellis quantization picks the coefficients per mode, so the two differ slightly
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  t.true(diff <= 4, `baseline vs progressive ${diff}`);
});

test('a real CIFAR-10 JPEG from the shared archive decodes to 32×32', async (t) => {
  const tar = path.join(repoRoot, '../shared/data/cifar10/cifar10-jpeg.tar.gz');
  const fallback = '/work/shared/data/cifar10/cifar10-jpeg.tar.gz';
  const archive = spawnSync('test', ['-f', tar]).status === 0 ? tar : fallback;
  const bytes = execFileSync('tar', ['xzOf', archive, 'test/cat/0000.jpg'], { maxBuffer: 1 << 20 });
  const img = await decodeImage(bytes);
  t.deepEqual([img.width, img.height], [32, 32]);
  t.true(img.data.some((v) => v > 0));
});

// hostile inputs: every one a clear ImageError, before any large allocation
function hugePng(width: number, height: number, interlace = false): Buffer {
  return Buffer.concat([SIGNATURE, ihdr(width, height, 8, 2, interlace), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', new Uint8Array(0))]);
}

test('hostile images: empty, not an image, truncated, huge declared size, decompression bomb', async (t) => {
  const err = async (bytes: Uint8Array, re: RegExp) => {
    const e = await t.throwsAsync(decodeImage(bytes), { instanceOf: ImageError });
    t.regex(e!.message, re);
    t.false(e!.message.includes('\n'));
  };
  await err(new Uint8Array(0), /^empty file$/);
  await err(Buffer.from('GIF89a not supported here'), /not a PNG or JPEG/);
  const good = encodePng({ width: 20, height: 20, colorType: 2, depth: 8, samples: samples(1200, 8, 1) });
  await err(good.subarray(0, 20), /truncated PNG/);
  await err(good.subarray(0, good.length - 30), /truncated PNG/);
  const jpegs = await encodeJpegs();
  await err(jpegs.baseline.subarray(0, 10), /truncated JPEG/);
  await err(jpegs.baseline.subarray(0, Math.floor(jpegs.baseline.length * 0.6)), /bad JPEG/);
  await err(jpegs.progressive.subarray(0, Math.floor(jpegs.progressive.length * 0.6)), /bad JPEG/);
  await err(hugePng(50_000, 50_000), /50000×50000 = 2,500,000,000 pixels is above the limit of 16,000,000/);
  // a JPEG header declaring 50,000×50,000: SOF0 patched
  const sof = Buffer.from(jpegs.baseline);
  const at = sof.indexOf(Buffer.from([0xff, 0xc0]));
  sof.writeUInt16BE(50_000, at + 5);
  sof.writeUInt16BE(50_000, at + 7);
  await err(sof, /50000×50000 .* above the limit/);
  t.is(DEFAULT_MAX_PIXELS, 16_000_000);
  // bombs: a small file whose image data inflates far beyond what its (allowed) header implies
  const bomb = (interlace: boolean) =>
    Buffer.concat([SIGNATURE, ihdr(100, 100, 8, 2, interlace), chunk('IDAT', deflateSync(Buffer.alloc(32 * 1024 * 1024))), chunk('IEND', new Uint8Array(0))]);
  for (const interlace of [false, true]) {
    const b = bomb(interlace);
    t.true(b.length < 300_000, `bomb file is small (${b.length} bytes)`);
    await err(b, /inflates to more than the 30,100 bytes its 100×100 header implies \(a decompression bomb\)|inflates to more than the 30,\d+ bytes its 100×100/);
  }
  await err(hugePng(0, 10), /0×10 pixels/);
  t.deepEqual(readImageHeader(hugePng(7, 9)), { format: 'png', width: 7, height: 9 });
});

test('resizedSize follows torchvision Resize(int): the shorter side becomes size, the longer int(size·long/short)', (t) => {
  t.deepEqual(resizedSize(100, 60, 32), { width: 53, height: 32 });
  t.deepEqual(resizedSize(60, 100, 32), { width: 32, height: 53 });
  t.deepEqual(resizedSize(10, 10, 32), { width: 32, height: 32 });
});

const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!torchAvailable && process.env.SHAPED_VIT_REQUIRE_TORCH) throw new Error('SHAPED_VIT_REQUIRE_TORCH is set but /usr/bin/python3 cannot import torch');
const torchTest = torchAvailable ? test : test.skip;

// torchvision's Resize(size)+CenterCrop(size) on a uint8 tensor, written out with torch primitives
// (torchvision itself is not packaged in Debian): antialiased bilinear in float64, torch.round, clamp.
const TORCH_REFERENCE = `
import sys, torch, torch.nn.functional as F
def resize_crop(x, w, h, size):
    short, long = min(w, h), max(w, h)
    nl = int(size * long / short)
    ow, oh = (size, nl) if w <= h else (nl, size)
    y = F.interpolate(x[None].double(), size=(oh, ow), mode='bilinear', antialias=True, align_corners=False)[0]
    y = y.round().clamp(0, 255).to(torch.uint8)
    top, left = int(round((oh - size) / 2.0)), int(round((ow - size) / 2.0))
    return y[:, top:top + size, left:left + size]
data = sys.stdin.buffer.read()
at = 0
for case in sys.argv[1:]:
    w, h, size = map(int, case.split(','))
    x = torch.frombuffer(bytearray(data[at:at + w * h * 3]), dtype=torch.uint8).reshape(h, w, 3).permute(2, 0, 1)
    at += w * h * 3
    sys.stdout.buffer.write(resize_crop(x, w, h, size).permute(1, 2, 0).contiguous().numpy().tobytes())
`;

torchTest('Resize+CenterCrop matches torch antialiased bilinear (downscale, upscale, odd crops)', (t) => {
  const sizes = [[100, 60], [33, 47], [20, 10], [64, 64], [200, 31], [32, 32], [7, 5], [35, 32]] as const;
  const inputs = sizes.map(([w, h]) => Uint8Array.from(samples(w * h * 3, 8, w * 1000 + h)));
  const refs = execFileSync('/usr/bin/python3', ['-c', TORCH_REFERENCE, ...sizes.map(([w, h]) => `${w},${h},32`)], { input: Buffer.concat(inputs), maxBuffer: 1 << 22 });
  t.is(refs.length, sizes.length * 32 * 32 * 3);
  for (const [k, [w, h]] of sizes.entries()) {
    const ours = resizeCenterCrop({ width: w, height: h, data: inputs[k] }, 32);
    const ref = refs.subarray(k * 3072, (k + 1) * 3072);
    let off = 0;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(ours.data[i] - ref[i]);
      if (d) off++;
      worst = Math.max(worst, d);
    }
    // float64 on both sides: only values within rounding of .5 may land on the other side
    t.true(worst <= 1 && off <= ref.length / 200, `${w}×${h}: ${off} values differ, max ${worst}`);
  }
});

test('attention rollout: identity attention gives the residual-only map; attention on one patch singles it out', (t) => {
  const tokens = 5; // class token + 2×2 patches
  const heads = 2;
  const uniform = new Float32Array(heads * tokens * tokens).fill(1 / tokens);
  const flat = attentionRollout([uniform, uniform], 0, heads, tokens);
  t.deepEqual([...flat], [1, 1, 1, 1]);
  // every token attends to patch 3 (token index 3)
  const focused = new Float32Array(heads * tokens * tokens);
  for (let h = 0; h < heads; h++) for (let r = 0; r < tokens; r++) focused[h * tokens * tokens + r * tokens + 3] = 1;
  const map = attentionRollout([focused], 0, heads, tokens);
  t.is(map[2], 1);
  t.deepEqual([map[0], map[1], map[3]], [0, 0, 0]);
  // one layer where the class token attends to patch 1 and the patches to patch 4 (token 4 to
  // itself): with the residual, rows are half self, half target. The class token's row sees patch 1
  // alone; the mean of all rows sees patch 1 (0.2), patches 2 and 3 (their own halves, 0.1) and
  // patch 4 (0.5)
  const split = new Float32Array(heads * tokens * tokens);
  for (let h = 0; h < heads; h++) for (let r = 0; r < tokens; r++) split[h * tokens * tokens + r * tokens + (r === 0 ? 1 : 4)] = 1;
  t.deepEqual([...attentionRollout([split], 0, heads, tokens, 'token')], [1, 0, 0, 0]);
  const mean = [...attentionRollout([split], 0, heads, tokens, 'mean')];
  [0.4, 0.2, 0.2, 1].forEach((v, k) => t.true(Math.abs(mean[k] - v) < 1e-6, `patch ${k + 1}: ${mean[k]}, expected ${v}`));
});

test('ConfusionMatrix counts (true, predicted) pairs; per-class accuracy; SVG lists every count', (t) => {
  const m = new ConfusionMatrix(3);
  m.add([0, 0, 1, 2, 2, 2], Float32Array.from([0, 1, 1, 2, 0, 2]));
  t.deepEqual([...m.counts], [1, 1, 0, 0, 1, 0, 1, 0, 2]);
  t.deepEqual([0, 1, 2].map((c) => m.accuracy(c)), [0.5, 1, 2 / 3]);
  t.throws(() => m.add([3], [0]), { message: /class out of range/ });
  const svg = renderConfusionSvg(m, ['a<b', 'b', 'c']);
  t.true(svg.startsWith('<svg') && svg.includes('a&lt;b') && svg.includes('66.7%'));
  t.is((svg.match(/<rect [^>]*stroke=/g) ?? []).length, 9);
});
