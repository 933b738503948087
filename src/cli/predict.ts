// `shaped-vit predict --checkpoint FILE IMAGE|FOLDER ...`: a trained model (a ViT or a ResNet, the
// kind the file says) on the user's own PNG and JPEG files. Each file is decoded (header checked against --max-pixels first), resized and
// center-cropped like torchvision's Resize+CenterCrop, normalized like training, and classified in
// batches; one result or one error line per file, in the order given. Exit 1 if any file failed.
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pngjs from 'pngjs';
import { backend, backendNames, fromTypedArray, setBackend, tidy, type BackendName, type Tensor } from '../dsl/index.js';
import { toNormalizedCHW, type RgbImage } from '../data/augment.js';
import { CIFAR10_CLASSES } from '../data/cifar.js';
import { DEFAULT_MAX_PIXELS, decodeImage } from '../data/image-decode.js';
import { resizeCenterCrop } from '../data/resize.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readFileBounded } from '../io/read-bounded.js';
import { vit, type VitConfig, type VitParams } from '../vit/index.js';
import { attentionRollout } from '../vit/attention-rollout.js';
import { loadModel } from '../vit/checkpoint-file.js';
import { inspectModelFile, loadModelFile } from '../train/model-file.js';
import { vitKind, type ImageModelConfig } from '../train/models.js';
import { FlagError, helpText, parseFlags, type FlagSpecs } from './flags.js';

const spec = {
  checkpoint: { type: 'string', required: true, help: 'the model, a ViT or a ResNet: a .safetensors file written by train-cifar (e.g. runs/quick/best.safetensors)' },
  'top-k': { type: 'int', min: 1, default: 5, help: 'classes shown per image' },
  json: { type: 'bool', help: 'one JSON object per line: {"file","top":[{"label","p"}]} or {"file","error"} (the default when stdout is not a terminal)' },
  attention: { type: 'string', help: 'folder to write each image with its attention-rollout map as PNG (a ViT only)' },
  'max-pixels': { type: 'int', min: 1, default: DEFAULT_MAX_PIXELS, help: 'refuse images whose header declares more pixels (checked before decoding)' },
  backend: { type: 'enum', values: backendNames, help: 'compute backend (default: a hardware WebGPU adapter, else webasm)' },
} as const satisfies FlagSpecs;

const usage = 'shaped-vit predict --checkpoint FILE [flags] IMAGE|FOLDER ...';
const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;
/** A bigger file is refused before it is read (a 16-megapixel image compresses to far less). */
const MAX_FILE_BYTES = 128 * 1024 * 1024;
const BATCH = 32;
/** Each pixel of the model's input becomes ZOOM×ZOOM pixels in the attention PNG. */
const ZOOM = 8;

type Prediction = { readonly file: string; readonly top: { label: string; p: number }[] } | { readonly file: string; readonly error: string };

export async function predict(argv: string[]): Promise<number> {
  const { flagArgs, inputs } = splitArguments(spec, argv);
  const parsed = parseFlags(spec, flagArgs);
  if (parsed.help) {
    console.log(helpText(spec, usage));
    return 0;
  }
  const flags = parsed.flags;
  if (!inputs.length) throw new FlagError(`no images given; ${usage}`);
  if (flags.checkpoint === '') throw new FlagError('--checkpoint is empty; give a .safetensors file');
  const files = await listImages(inputs);
  const { kind } = await inspectModelFile(flags.checkpoint);
  if (flags.attention !== undefined && kind !== vitKind) {
    throw new FlagError(`--attention draws a ViT's attention rollout; ${flags.checkpoint} is a "${kind.kind}" checkpoint, which has no attention`);
  }

  if (flags.backend) setBackend(flags.backend as BackendName);
  await backend();
  const model = flags.attention !== undefined ? vitPredictor(await loadModel(flags.checkpoint)) : kindPredictor(await loadModelFile(flags.checkpoint, kind));
  const { cfg } = model;
  const labels = cfg.classes === CIFAR10_CLASSES.length ? [...CIFAR10_CLASSES] : Array.from({ length: cfg.classes }, (_, i) => `class ${i}`);
  const json = flags.json || !process.stdout.isTTY;
  if (flags.attention !== undefined) await mkdir(flags.attention, { recursive: true });
  const attentionNames = new Set<string>();

  let failed = 0;
  for (let at = 0; at < files.length; at += BATCH) {
    const chunk = files.slice(at, at + BATCH);
    const decoded: Awaited<ReturnType<typeof readImage>>[] = [];
    // one file at a time: only one full-size image is ever in memory
    for (const file of chunk) decoded.push(await readImage(file, cfg.imageSize, flags.maxPixels));
    const results = await classify(model, decoded.flatMap((d) => ('image' in d ? [d.image] : [])));
    let next = 0; // results are in the order of the decoded images
    for (let i = 0; i < chunk.length; i++) {
      const file = chunk[i];
      const d = decoded[i];
      let out: Prediction;
      if ('error' in d) out = { file, error: d.error };
      else {
        const result = results[next++];
        out = { file, top: topK(result.probs, labels, flags.topK) };
        if (flags.attention !== undefined && result.rollout) {
          const name = uniqueName(attentionNames, `${path.basename(file)}.png`);
          await writeFileAtomic(path.join(flags.attention, name), attentionPng(d.image, result.rollout.map, result.rollout.grid));
        }
      }
      if ('error' in out) failed++;
      print(out, json);
    }
  }
  return failed ? 1 : 0;
}

/** Flags (with their values) apart from the image arguments; everything after `--` is an image. */
function splitArguments(s: FlagSpecs, argv: string[]): { flagArgs: string[]; inputs: string[] } {
  const flagArgs: string[] = [];
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      inputs.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') && arg !== '-h') {
      inputs.push(arg);
      continue;
    }
    flagArgs.push(arg);
    const f = s[arg.slice(2)];
    if (f && f.type !== 'bool' && !arg.includes('=') && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) flagArgs.push(argv[++i]);
  }
  return { flagArgs, inputs };
}

/** Files as given; a folder contributes its .png/.jpg/.jpeg files, sorted by name. */
async function listImages(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (info?.isDirectory()) {
      const names = (await readdir(input)).filter((n) => IMAGE_EXTENSIONS.test(n)).sort();
      if (!names.length) throw new FlagError(`${input}: no .png, .jpg or .jpeg files in this folder`);
      files.push(...names.map((n) => path.join(input, n)));
    } else files.push(input); // a missing file is reported with the results
  }
  return files;
}

/** The model's input (cropped RGB) of one file, or its one-line error. */
async function readImage(file: string, size: number, maxPixels: number): Promise<{ image: RgbImage } | { error: string }> {
  try {
    const bytes = await readFileBounded(file, 'image', MAX_FILE_BYTES);
    return { image: resizeCenterCrop(await decodeImage(bytes, maxPixels), size) };
  } catch (e) {
    return { error: (e as Error).message.replace(/\s+/g, ' ') };
  }
}

/** An attention rollout map, `grid` patches per side. */
interface Rollout {
  readonly map: Float32Array;
  readonly grid: number;
}

/** What predict runs: a model's logits for a batch and, for a ViT asked for them, its attention rollouts. */
interface Predictor {
  readonly cfg: ImageModelConfig;
  logits(x: Tensor<[number, 3, number, number]>): { logits: Tensor; attention: readonly Tensor[] };
  /** the rollout map of image `b` from the attention layers' values (a ViT asked for attention) */
  readonly rollout?: (layers: readonly Float32Array[], b: number) => Rollout;
}

/** A ViT with its attention maps (the --attention path). */
function vitPredictor({ cfg, params }: { cfg: VitConfig; params: VitParams }): Predictor {
  return {
    cfg,
    logits: (x) => vit.applyWithAttention(cfg, params, x),
    rollout: (layers, b) => ({ map: attentionRollout(layers, b, cfg.heads, cfg.tokens, cfg.pool), grid: cfg.imageSize / cfg.patchSize }),
  };
}

/** A model of the kind its file says, in evaluation mode. */
function kindPredictor({ kind, cfg, params }: Awaited<ReturnType<typeof loadModelFile>>): Predictor {
  return { cfg, logits: (x) => ({ logits: kind.apply(cfg, params, x, { train: false, seed: 0 }), attention: [] }) };
}

/** Softmax probabilities (float64) of each image, and its rollout map where the predictor draws one. */
async function classify(model: Predictor, images: RgbImage[]): Promise<{ probs: Float64Array; rollout?: Rollout }[]> {
  if (!images.length) return [];
  const { cfg } = model;
  const n = images.length;
  const plane = 3 * cfg.imageSize * cfg.imageSize;
  const input = new Float32Array(n * plane);
  images.forEach((img, i) => toNormalizedCHW(img, input, i * plane));
  return tidy(async () => {
    const out = model.logits(fromTypedArray(input, [n, 3, cfg.imageSize, cfg.imageSize]));
    const logits = await out.logits.data();
    const layers = await Promise.all(out.attention.map((a) => a.data()));
    return images.map((_, b) => ({ probs: softmaxRow(logits, b, cfg.classes), rollout: model.rollout?.(layers, b) }));
  });
}

function softmaxRow(logits: Float32Array, row: number, classes: number): Float64Array {
  const z = logits.subarray(row * classes, (row + 1) * classes);
  const max = Math.max(...z);
  const e = Float64Array.from(z, (v) => Math.exp(v - max));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

function topK(probs: Float64Array, labels: string[], k: number): { label: string; p: number }[] {
  return [...probs.keys()]
    .sort((a, b) => probs[b] - probs[a] || a - b)
    .slice(0, k)
    .map((i) => ({ label: labels[i], p: Number(probs[i].toFixed(6)) }));
}

function print(out: Prediction, json: boolean): void {
  if (json) console.log(JSON.stringify(out));
  else if ('error' in out) console.error(`${out.file}: ${out.error}`);
  else console.log([out.file, ...out.top.map((t) => `  ${(t.p * 100).toFixed(2).padStart(6)}%  ${t.label}`)].join('\n'));
}

function uniqueName(used: Set<string>, name: string): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = name.replace(/\.png$/, `-${i}.png`);
  used.add(candidate);
  return candidate;
}

/** The model's input beside the same image tinted by its rollout map (red = most attended), ZOOM× larger. */
function attentionPng(img: RgbImage, rollout: Float32Array, grid: number): Uint8Array {
  const side = img.width * ZOOM;
  const png = new pngjs.PNG({ width: 2 * side, height: side });
  const patch = img.width / grid;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = Math.floor(x / ZOOM);
      const sy = Math.floor(y / ZOOM);
      const s = (sy * img.width + sx) * 3;
      const heat = rollout[Math.floor(sy / patch) * grid + Math.floor(sx / patch)];
      const [hr, hg, hb] = heatColor(heat);
      for (const [dx, rgb] of [
        [0, [img.data[s], img.data[s + 1], img.data[s + 2]]],
        [side, [0.4 * img.data[s] + 0.6 * hr, 0.4 * img.data[s + 1] + 0.6 * hg, 0.4 * img.data[s + 2] + 0.6 * hb]],
      ] as const) {
        const d = (y * 2 * side + x + dx) * 4;
        png.data[d] = rgb[0];
        png.data[d + 1] = rgb[1];
        png.data[d + 2] = rgb[2];
        png.data[d + 3] = 255;
      }
    }
  }
  return pngjs.PNG.sync.write(png);
}

/** A blue → green → red ramp of v in [0, 1]. */
function heatColor(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, v));
  return t < 0.5 ? [0, 510 * t, 255 * (1 - 2 * t)] : [510 * (t - 0.5), 255 * (2 - 2 * t), 0];
}
