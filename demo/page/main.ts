// The demo: the quick recipe's ViT trains on CIFAR-10 in the tab (WebGPU or WebAssembly), with live
// curves, test predictions, an attention-rollout map, and checkpoints that the CLI reads and writes.
// All tensor work goes through one queue (`serial`), so evaluations and tidy scopes never interleave.
import {
  availableBackends,
  backend,
  constant,
  decodeCheckpoint,
  disposeTree,
  encodeCheckpoint,
  evalStep,
  fromTypedArray,
  initTrainState,
  mapTree,
  presets,
  realize,
  recipeConfig,
  recipeOptimizer,
  recipeSchedule,
  setBackend,
  tensorsIn,
  tidy,
  trainStep,
  vit,
  type Batch,
  type BackendName,
  type Tensor,
  type TrainState,
  type VitConfig,
} from 'shaped-vit';
import { normalizeCHWRecord } from '../../build/src/data/augment.js';
import { CLASSES, IMAGE_BYTES, fromArchive, fromServer, type Cifar, type Split } from './cifar.js';
import { drawChart } from './chart.js';
import { attentionRollout } from '../../build/src/vit/attention-rollout.js';

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const query = new URLSearchParams(location.search);
const setting = (name: string, fallback: number) => Number(query.get(name) ?? fallback);

const recipe = presets.quick;
const schedule = recipeSchedule(recipe);
const evalEvery = setting('evalEvery', 50);
const evalCount = setting('evalCount', 1000);
const sampleCount = 16;

let cfg: VitConfig = recipeConfig(recipe);
let optimizer = recipeOptimizer(recipe);
let state: TrainState | null = null;
let data: Cifar | null = null;
/** 'pausing': a pause was asked for and the step in flight is finishing */
let phase: 'idle' | 'running' | 'pausing' | 'paused' | 'done' = 'idle';
let steps = 0;
let epoch = 0;
let cursor = 0;
let order: Uint32Array = new Uint32Array(0);
let selected = 0;
const history = { trainLoss: [] as [number, number][], trainAccuracy: [] as [number, number][], testLoss: [] as [number, number][], testAccuracy: [] as [number, number][] };

let queue: Promise<unknown> = Promise.resolve();
function serial<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work);
  queue = run.catch(() => undefined);
  return run;
}

const status = (text: string) => ($('status').textContent = text);
const fail = (e: unknown) => status(`error: ${(e as Error)?.message ?? String(e)}`);

function batchOf(split: Split, indices: ArrayLike<number>): Batch {
  const images = new Float32Array(indices.length * IMAGE_BYTES);
  const labels: number[] = [];
  for (let k = 0; k < indices.length; k++) {
    normalizeCHWRecord(split.images, indices[k] * IMAGE_BYTES, images, k * IMAGE_BYTES);
    labels.push(split.labels[indices[k]]);
  }
  return { images, labels, count: indices.length };
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);

function shuffle(count: number, seed: number): Uint32Array {
  const out = Uint32Array.from(range(0, count));
  let s = seed >>> 0 || 1;
  for (let i = count - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function render(): void {
  const button = $<HTMLButtonElement>('train');
  button.textContent = { idle: 'Start', running: 'Pause', pausing: 'Pausing…', paused: 'Resume', done: 'Done' }[phase];
  button.disabled = !data || !state || phase === 'done' || phase === 'pausing';
  $<HTMLButtonElement>('download').disabled = !state;
  Object.assign(document.body.dataset, { phase, steps: String(steps), evals: String(history.testAccuracy.length) });
  drawChart($('loss-chart'), [
    { name: 'train', color: '#0969da', points: history.trainLoss },
    { name: 'test', color: '#cf222e', points: history.testLoss },
  ], (y) => y.toFixed(2));
  drawChart($('accuracy-chart'), [
    { name: 'train', color: '#0969da', points: history.trainAccuracy },
    { name: 'test', color: '#cf222e', points: history.testAccuracy },
  ], (y) => `${(y * 100).toFixed(0)}%`);
}

async function trainLoop(): Promise<void> {
  const step = trainStep(cfg, optimizer, { labelSmoothing: recipe.labelSmoothing, seed: recipe.seed });
  let last = performance.now();
  while (phase === 'running' && data && state) {
    if (epoch >= recipe.epochs) {
      phase = 'done';
      status(`done: ${recipe.epochs} epochs of the quick recipe`);
      break;
    }
    if (order.length !== data.train.count) order = shuffle(data.train.count, recipe.seed + epoch + 1);
    const batch = batchOf(data.train, order.subarray(cursor, cursor + recipe.batchSize));
    const [next, metrics] = await serial(() => step(state!, batch, schedule(epoch)));
    state = next;
    steps++;
    history.trainLoss.push([steps, metrics.loss]);
    history.trainAccuracy.push([steps, metrics.correct / metrics.count]);
    cursor += recipe.batchSize;
    if (cursor + recipe.batchSize > data.train.count) {
      epoch++;
      cursor = 0;
      order = new Uint32Array(0);
    }
    const now = performance.now();
    status(`step ${steps} · epoch ${epoch + 1}/${recipe.epochs} · loss ${metrics.loss.toFixed(3)} · ${(now - last).toFixed(0)} ms/step (${((recipe.batchSize * 1000) / (now - last)).toFixed(0)} images/s)`);
    last = now;
    if (steps % evalEvery === 0) await evaluate();
    render();
  }
  if (phase === 'pausing') {
    phase = 'paused';
    status(`paused at step ${steps}`);
  }
  render();
}

async function evaluate(): Promise<void> {
  if (!data || !state) return;
  const params = state.params;
  const run = evalStep(cfg, { labelSmoothing: recipe.labelSmoothing });
  let loss = 0;
  let correct = 0;
  let count = 0;
  for (let from = 0; from < Math.min(evalCount, data.test.count); from += 100) {
    const batch = batchOf(data.test, range(from, Math.min(from + 100, evalCount, data.test.count)));
    const m = await serial(() => tidy(() => run(params, batch)));
    loss += m.loss * m.count;
    correct += m.correct;
    count += m.count;
  }
  history.testLoss.push([steps, loss / count]);
  history.testAccuracy.push([steps, correct / count]);
  await showSamples();
}

/** Predictions for the first test images, and the selected one's attention map. */
async function showSamples(): Promise<void> {
  if (!data || !state) return;
  const params = state.params;
  const batch = batchOf(data.test, range(0, sampleCount));
  const logits = await serial(() => tidy(() => vit.apply(cfg, params, constant(batch.images, [sampleCount, 3, 32, 32])).data()));
  const grid = $('samples');
  grid.replaceChildren(
    ...range(0, sampleCount).map((k) => {
      const row = logits.subarray(k * cfg.classes, (k + 1) * cfg.classes);
      const predicted = row.indexOf(Math.max(...row));
      const truth = data!.test.labels[k];
      const cell = document.createElement('div');
      cell.className = `sample${k === selected ? ' selected' : ''}`;
      cell.dataset.index = String(k);
      cell.dataset.predicted = String(predicted);
      const canvas = document.createElement('canvas');
      drawImage(canvas, data!.test, k);
      const caption = document.createElement('div');
      caption.innerHTML = `<span class="${predicted === truth ? 'right' : 'wrong'}">${CLASSES[predicted]}</span><br>${CLASSES[truth]}`;
      cell.append(canvas, caption);
      cell.onclick = () => {
        selected = k;
        showSamples().catch(fail);
      };
      return cell;
    }),
  );
  await showAttention(params);
}

function drawImage(canvas: HTMLCanvasElement, split: Split, index: number): void {
  canvas.width = canvas.height = 32;
  const rgba = new ImageData(32, 32);
  for (let p = 0; p < 1024; p++) {
    for (let c = 0; c < 3; c++) rgba.data[p * 4 + c] = split.images[index * IMAGE_BYTES + c * 1024 + p];
    rgba.data[p * 4 + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(rgba, 0, 0);
}

async function showAttention(params: TrainState['params']): Promise<void> {
  if (!data) return;
  const image = batchOf(data.test, [selected]);
  const layers = await serial(() =>
    tidy(async () => {
      const { attention } = vit.applyWithAttention(cfg, params, constant(image.images, [1, 3, 32, 32]));
      await realize(attention);
      return Promise.all(attention.map((a) => a.data()));
    }),
  );
  const side = cfg.imageSize / cfg.patchSize;
  const map = attentionRollout(layers, 0, cfg.heads, cfg.tokens, cfg.pool);
  const lo = Math.min(...map);
  const span = Math.max(...map) - lo || 1;
  const picture = $<HTMLCanvasElement>('attention-image');
  drawImage(picture, data.test, selected);
  const overlay = $<HTMLCanvasElement>('attention-map');
  overlay.width = overlay.height = 32;
  const ctx = overlay.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(picture, 0, 0);
  // the image in grey, blended with a heat colour (blue: least attended, red: most) per patch
  const heat = ctx.getImageData(0, 0, 32, 32);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const w = (map[Math.floor((y * side) / 32) * side + Math.floor((x * side) / 32)] - lo) / span;
      const p = (y * 32 + x) * 4;
      const grey = (heat.data[p] + heat.data[p + 1] + heat.data[p + 2]) / 3;
      const colour = [255 * w, 255 * (1 - Math.abs(2 * w - 1)), 255 * (1 - w)];
      for (let c = 0; c < 3; c++) heat.data[p + c] = 0.4 * grey + 0.6 * colour[c];
    }
  }
  ctx.putImageData(heat, 0, 0);
  overlay.dataset.drawn = 'true';
  $('attention-caption').textContent = `test image ${selected} (${CLASSES[data.test.labels[selected]]}): red patches get the class token's attention, blue ones little (${cfg.layers} layers rolled out)`;
}

/** Copies the training state to another backend (device memory does not move by itself). */
async function moveState(s: TrainState, to: BackendName): Promise<TrainState> {
  const host = new Map<Tensor, Float32Array>();
  for (const t of tensorsIn([s.params, s.opt])) host.set(t, await t.data());
  setBackend(to);
  const copy = <T>(tree: T): T => mapTree(tree, (t) => fromTypedArray(host.get(t)!, [...t.shape]));
  const next = { params: copy(s.params), opt: copy(s.opt), step: s.step };
  disposeTree([s.params, s.opt]);
  await realize(tensorsIn([next.params, next.opt]));
  return next;
}

async function showBackend(): Promise<void> {
  const be = await backend();
  $<HTMLSelectElement>('backend').value = be.name;
  $('backend-info').textContent = `backend: ${be.description}`;
  document.body.dataset.backend = be.name;
}

function useData(loaded: Cifar): void {
  data = loaded;
  order = new Uint32Array(0);
  $('data-status').textContent = `CIFAR-10: ${loaded.train.count.toLocaleString()} training and ${loaded.test.count.toLocaleString()} test images from ${loaded.source}`;
  status('ready: press Start');
  render();
  serial(async () => undefined).then(showSamples).catch(fail);
}

async function loadArchive(file: File): Promise<void> {
  $('data-status').textContent = `reading ${file.name}…`;
  useData(await fromArchive(file, file.name));
}

async function loadCheckpoint(file: File): Promise<void> {
  if (phase === 'running') phase = 'pausing';
  const bytes = new Uint8Array(await file.arrayBuffer());
  await serial(async () => {
    const loaded = decodeCheckpoint(bytes, { fileName: file.name });
    if (state) disposeTree([state.params, state.opt]);
    cfg = loaded.cfg;
    optimizer = recipeOptimizer(recipe);
    state = await initTrainState(loaded.params, optimizer);
  });
  status(`loaded ${file.name}: embed ${cfg.embedDim}, ${cfg.layers} layers, ${cfg.heads} heads, patch ${cfg.patchSize}${data ? '' : ' (load CIFAR-10 to see its predictions)'}`);
  document.body.dataset.checkpoint = file.name;
  if (data) await evaluate();
  render();
}

async function downloadCheckpoint(): Promise<void> {
  if (!state) return;
  const params = state.params;
  const bytes = await serial(() => encodeCheckpoint(cfg, params, { producer: 'shaped-vit demo', steps: String(steps) }));
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes.slice()], { type: 'application/octet-stream' }));
  link.download = `shaped-vit-demo-step${steps}.safetensors`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function wire(): void {
  $('train').onclick = () => {
    if (phase === 'running') {
      phase = 'pausing';
      render();
    } else if (phase === 'idle' || phase === 'paused') {
      phase = 'running';
      document.body.dataset.resumeFrom = String(steps);
      render();
      trainLoop().catch((e) => {
        phase = 'paused';
        fail(e);
        render();
      });
    }
  };
  $('download').onclick = () => downloadCheckpoint().catch(fail);
  $<HTMLSelectElement>('backend').onchange = (event) => {
    const to = (event.target as HTMLSelectElement).value as BackendName;
    serial(async () => {
      if (state) state = await moveState(state, to);
      else setBackend(to);
    })
      .then(showBackend)
      .catch(fail);
  };
  $<HTMLInputElement>('checkpoint').onchange = (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) loadCheckpoint(file).catch(fail);
  };
  $<HTMLInputElement>('archive').onchange = (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) loadArchive(file).catch(fail);
  };
  const zone = $('data');
  zone.ondragover = (event) => {
    event.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) loadArchive(file).catch(fail);
  };
}

async function boot(): Promise<void> {
  wire();
  const available = await availableBackends();
  for (const option of $<HTMLSelectElement>('backend').options) option.disabled = !available.includes(option.value as BackendName);
  await showBackend();
  state = await serial(() => initTrainState(vit.init(cfg, { seed: recipe.seed }), optimizer));
  render();
  status('loading CIFAR-10…');
  try {
    useData(await fromServer(setting('batches', 5)));
  } catch (e) {
    $('data-status').textContent = `${(e as Error).message.split('\n')[0]} — drop cifar-10-binary.tar.gz here`;
    status('waiting for CIFAR-10');
  }
}

boot().catch(fail);
