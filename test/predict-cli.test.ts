// `shaped-vit predict` and `train-cifar --eval-only`'s confusion matrix as a user runs them: real
// child processes of the built CLI, a tiny checkpoint made here, PNG and JPEG files of our own,
// hostile files beside good ones.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import { fromTypedArray, setBackend } from '../src/dsl/index.js';
import { toNormalizedCHW } from '../src/data/augment.js';
import { CIFAR10_CLASSES } from '../src/data/cifar.js';
import { decodeImage } from '../src/data/image-decode.js';
import { resizeCenterCrop } from '../src/data/resize.js';
import { vit } from '../src/vit/index.js';
import { saveModel } from '../src/vit/checkpoint-file.js';
import { resnet } from '../src/resnet/index.js';
import { saveModelFile } from '../src/train/model-file.js';
import { resnetKind } from '../src/train/models.js';
import { realCifarDir, repoRoot } from './support/cifar-fixture.js';
import { SIGNATURE, chunk, encodePng, ihdr } from './support/png-encode.js';

setBackend('cpu');
const cli = path.join(repoRoot, 'build/src/cli/main.js');
const cfg = vit.config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 16, heads: 2, mlpDim: 32, layers: 2, classes: 10 });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], wrapper: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    const [cmd, ...pre] = wrapper.length ? wrapper : [process.execPath];
    const child = spawn(cmd, [...pre, ...(wrapper.length ? [process.execPath] : []), cli, ...args], { env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const require = createRequire(import.meta.url);

async function fixtures() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-predict-'));
  const checkpoint = path.join(dir, 'tiny.safetensors');
  await saveModel(checkpoint, cfg, vit.init(cfg, { seed: 3 }));
  const images = path.join(dir, 'images');
  await mkdir(images);
  const w = 45;
  const h = 37;
  const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 31 + (i % 7) * 40) & 255);
  await writeFile(path.join(images, 'b.png'), encodePng({ width: w, height: h, colorType: 2, depth: 8, samples: rgb }));
  const enc = await import('@jsquash/jpeg/encode.js');
  await enc.init({ wasmBinary: await readFile(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')) } as never);
  const rgba = new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 13) & 255));
  await writeFile(path.join(images, 'a.jpg'), new Uint8Array(await enc.default({ data: rgba, width: w, height: h, colorSpace: 'srgb' } as ImageData, { quality: 90, progressive: true })));
  await writeFile(path.join(images, 'notes.txt'), 'not listed: not an image extension');
  return { dir, checkpoint, images };
}

/** The probabilities predict must print: the same pipeline in this process. */
async function expectedProbs(file: string): Promise<number[]> {
  const img = resizeCenterCrop(await decodeImage(await readFile(file)), 32);
  const params = vit.init(cfg, { seed: 3 });
  const logits = await vit.apply(cfg, params, fromTypedArray(toNormalizedCHW(img), [1, 3, 32, 32])).data();
  const max = Math.max(...logits);
  const e = [...logits].map((v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

test('predict prints one JSON line per image (a folder: its .png/.jpg files, sorted) with the top-k classes and their probabilities', async (t) => {
  const f = await fixtures();
  const r = await run(['predict', '--checkpoint', f.checkpoint, '--backend', 'cpu', '--top-k', '3', f.images]);
  t.is(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  t.deepEqual(lines.map((l) => l.file), [path.join(f.images, 'a.jpg'), path.join(f.images, 'b.png')]);
  for (const line of lines) {
    t.deepEqual(Object.keys(line), ['file', 'top']);
    t.is(line.top.length, 3);
    const want = await expectedProbs(line.file);
    const order = [...want.keys()].sort((a, b) => want[b] - want[a]);
    t.deepEqual(line.top.map((x: { label: string }) => x.label), order.slice(0, 3).map((i) => CIFAR10_CLASSES[i]));
    for (const [k, x] of line.top.entries()) t.true(Math.abs(x.p - want[order[k]]) < 1e-5, `${x.label}: ${x.p} vs ${want[order[k]]}`);
  }
  // all classes: the probabilities sum to 1
  const all = await run(['predict', '--json', '--checkpoint', f.checkpoint, '--backend', 'cpu', '--top-k', '10', path.join(f.images, 'b.png')]);
  const [only] = jsonLines(all.stdout);
  t.true(Math.abs(only.top.reduce((s: number, x: { p: number }) => s + x.p, 0) - 1) < 1e-4);
});

test('predict --attention writes each image beside its attention-rollout map as PNG', async (t) => {
  const f = await fixtures();
  const out = path.join(f.dir, 'att');
  const r = await run(['predict', '--checkpoint', f.checkpoint, '--backend', 'cpu', '--attention', out, path.join(f.images, 'a.jpg'), path.join(f.images, 'b.png')]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await readdir(out)).sort(), ['a.jpg.png', 'b.png.png']);
  const png = pngjs.PNG.sync.read(await readFile(path.join(out, 'b.png.png')));
  t.deepEqual([png.width, png.height], [512, 256]);
  // the left half is the model's input, each pixel 8×8
  const input = resizeCenterCrop(await decodeImage(await readFile(path.join(f.images, 'b.png'))), 32);
  t.deepEqual([...png.data.subarray(0, 3)], [...input.data.subarray(0, 3)]);
  const right = (8 * 512 + 300) * 4;
  t.notDeepEqual([...png.data.subarray(right, right + 3)], [...input.data.subarray(37 * 3, 37 * 3 + 3)]);
});

test('hostile files: one clear line each, the good image still gets its result, exit 1, bounded memory', async (t) => {
  const f = await fixtures();
  const bad = path.join(f.dir, 'bad');
  await mkdir(bad);
  const good = await readFile(path.join(f.images, 'b.png'));
  const files: Record<string, Uint8Array> = {
    'empty.png': new Uint8Array(0),
    'text.jpg': Buffer.from('just some text\n'),
    'truncated.png': good.subarray(0, good.length - 40),
    'huge.png': Buffer.concat([SIGNATURE, ihdr(50_000, 50_000, 8, 6), chunk('IDAT', deflateSync(Buffer.alloc(4096))), chunk('IEND', new Uint8Array(0))]),
    'bomb.png': Buffer.concat([SIGNATURE, ihdr(64, 64, 8, 2), chunk('IDAT', deflateSync(Buffer.alloc(64 * 1024 * 1024))), chunk('IEND', new Uint8Array(0))]),
  };
  for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(bad, name), bytes);
  const names = Object.keys(files);
  const args = ['predict', '--checkpoint', f.checkpoint, '--backend', 'cpu', ...names.map((n) => path.join(bad, n)), path.join(f.images, 'b.png'), path.join(bad, 'missing.jpg')];
  const timed = existsSync('/usr/bin/time');
  const r = await run(args, timed ? ['/usr/bin/time', '-f', 'maxrss_kb=%M'] : []);
  t.is(r.code, 1, r.stderr);
  const lines = jsonLines(r.stdout);
  t.is(lines.length, names.length + 2);
  const byFile = new Map(lines.map((l) => [path.basename(l.file), l]));
  const expected: Record<string, RegExp> = {
    'empty.png': /^empty file$/,
    'text.jpg': /not a PNG or JPEG/,
    'truncated.png': /truncated PNG/,
    'huge.png': /50000×50000 = 2,500,000,000 pixels is above the limit/,
    'bomb.png': /decompression bomb/,
    'missing.jpg': /no such file/,
  };
  for (const [name, re] of Object.entries(expected)) t.regex(byFile.get(name)?.error ?? '', re, name);
  t.is(byFile.get('b.png')?.top.length, 5);
  if (timed) {
    const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
    t.true(kb > 0 && kb < 512 * 1024, `peak RSS ${kb} kB`);
  }
});

test('predict runs a ResNet checkpoint (its kind read from the file); --attention on one is refused in one line', async (t) => {
  const f = await fixtures();
  const rcfg = resnet.config({ imageSize: 32, channels: 3, classes: 10, width: 4, blocks: 1, normGroups: 2 });
  const params = resnet.init(rcfg, { seed: 5 });
  const file = path.join(f.dir, 'resnet.safetensors');
  await saveModelFile({ kind: resnetKind, cfg: rcfg }, file, params);
  const image = path.join(f.images, 'b.png');
  const r = await run(['predict', '--json', '--checkpoint', file, '--backend', 'cpu', '--top-k', '10', image]);
  t.is(r.code, 0, r.stderr);
  const [line] = jsonLines(r.stdout);
  const input = resizeCenterCrop(await decodeImage(await readFile(image)), 32);
  const logits = [...(await resnet.apply(rcfg, params, fromTypedArray(toNormalizedCHW(input), [1, 3, 32, 32])).data())];
  const e = logits.map((v) => Math.exp(v - Math.max(...logits)));
  const want = e.map((v) => v / e.reduce((a, b) => a + b, 0));
  for (const x of line.top) t.true(Math.abs(x.p - want[CIFAR10_CLASSES.indexOf(x.label)]) < 1e-5, `${x.label}: ${x.p} vs ${want[CIFAR10_CLASSES.indexOf(x.label)]}`);
  const att = await run(['predict', '--checkpoint', file, '--backend', 'cpu', '--attention', path.join(f.dir, 'att'), image]);
  t.is(att.code, 2);
  t.is(att.stderr.trim().split('\n').length, 1, att.stderr);
  t.regex(att.stderr, /--attention draws a ViT's attention rollout; .*resnet\.safetensors is a "resnet" checkpoint, which has no attention/);
  t.false(existsSync(path.join(f.dir, 'att')));
});

test('predict refuses bad usage with one line and exit 2', async (t) => {
  const f = await fixtures();
  const none = await run(['predict', '--checkpoint', f.checkpoint]);
  t.is(none.code, 2);
  t.regex(none.stderr, /no images given/);
  const noCheckpoint = await run(['predict', path.join(f.images, 'b.png')]);
  t.is(noCheckpoint.code, 2);
  t.regex(noCheckpoint.stderr, /--checkpoint/);
  const badK = await run(['predict', '--checkpoint', f.checkpoint, '--top-k', '0', path.join(f.images, 'b.png')]);
  t.is(badK.code, 2);
  t.regex(badK.stderr, /--top-k/);
  const emptyDir = path.join(f.dir, 'empty');
  await mkdir(emptyDir);
  const noFiles = await run(['predict', '--checkpoint', f.checkpoint, emptyDir]);
  t.is(noFiles.code, 2);
  t.regex(noFiles.stderr, /no \.png, \.jpg or \.jpeg files/);
});

test('--eval-only prints per-class accuracy and writes confusion.svg in the out-dir', async (t) => {
  const f = await fixtures();
  const data = await realCifarDir();
  const out = path.join(f.dir, 'eval');
  const r = await run(['train-cifar', '--eval-only', '--checkpoint', f.checkpoint, '--data-dir', data, '--out-dir', out, '--limit-test', '120', '--backend', 'cpu']);
  t.is(r.code, 0, r.stderr);
  const perClass = r.stdout.split('\n').filter((l) => /^ {2}\S+ +(\d\.\d{4}| +-) +\(\d+\/\d+\)$/.test(l));
  t.deepEqual(perClass.map((l) => l.trim().split(/\s+/)[0]), [...CIFAR10_CLASSES]);
  const counts = perClass.map((l) => /\((\d+)\/(\d+)\)/.exec(l)!.slice(1).map(Number));
  t.is(counts.reduce((s, [, n]) => s + n, 0), 120);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.is(counts.reduce((s, [c]) => s + c, 0), Math.round(summary.accuracy * 120));
  const svg = await readFile(path.join(out, 'confusion.svg'), 'utf8');
  t.true(svg.startsWith('<svg'));
  const cells = [...svg.matchAll(/<text [^>]*text-anchor="middle" fill="[^"]+">(\d+)<\/text>/g)].map((m) => Number(m[1]));
  t.is(cells.length, 100);
  t.is(cells.reduce((a, b) => a + b, 0), 120);
});
