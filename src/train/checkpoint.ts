// The training state file `<model>.train.safetensors`: weights ("params.*", state_dict names),
// optimizer state ("opt.*", pytree paths) and the progress record, in one atomic write, so it is
// a consistent resume point on its own. The model file beside it carries the same run id, epoch
// and step: a save cut short between the two files is detected, never silently mixed.
// Everything is validated (progress record, config, sizes) before any tensor is read.
import { disposeTree, fromTypedArray, mapTree, treeLeaves } from '../dsl/index.js';
import { sizeOf } from '../dsl/shape-rules.js';
import { openSafetensors, type SafetensorsReader } from '../io/safetensors-file.js';
import { checkTensors, encodeSafetensors, requireF32, tensorMismatchError, type LoadedTensor } from '../io/safetensors.js';
import { isJsonObject } from '../io/validation.js';
import { CheckpointError, checkModelHeader, checkpointMetadata, modelParamsFromTensors, requireFinite, storedKind, tensorEntries } from '../nn/model-checkpoint.js';
import { modelKinds, modelNames, type ImageModelConfig, type SomeModelKind } from './models.js';
import { flatten, type Transform } from './optim.js';

/** Where an interrupted epoch stood, for an exact mid-epoch resume. */
export interface PartialEpoch {
  readonly stepInEpoch: number;
  readonly lossSum: number;
  readonly correct: number;
  readonly seen: number;
  readonly seconds: number;
}

export interface TrainingProgress {
  /** random id of the run, shared by its model and training-state files */
  readonly run: string;
  /** epochs completed */
  readonly epoch: number;
  /** optimizer steps done */
  readonly step: number;
  /** best validation accuracy so far; -1 before the first validation */
  readonly bestValAcc: number;
  /** the run's recipe (JSON), so --resume can restore it and refuse a different one */
  readonly recipe: string;
  readonly partial?: PartialEpoch;
  /** the training data: its folder and the SHA-256 of each file, so --resume can refuse other data */
  readonly data?: DataSource;
}

/** Where a run's data came from: the folder and the SHA-256 of each file read. */
export interface DataSource {
  readonly dir: string;
  readonly files: Readonly<Record<string, string>>;
}

export const trainStatePath = (modelPath: string) => modelPath.replace(/\.safetensors$/, '') + '.train.safetensors';

/** What a model file's metadata must say to belong to a training state. */
export const pairMetadata = (p: TrainingProgress): Record<string, string> => ({ run: p.run, epoch: String(p.epoch), step: String(p.step) });

/** The training state file's bytes (weights, optimizer state, progress); refuses non-finite values, naming `path`. */
export async function encodeTrainState(kind: SomeModelKind, path: string, cfg: unknown, params: unknown, opt: unknown, progress: TrainingProgress): Promise<Uint8Array> {
  const weights = await tensorEntries(kind.stateDict(params).map(([n, t]) => [`params.${n}`, t] as const));
  const state = await tensorEntries(treeLeaves(opt).map(([n, t]) => [`opt.${n}`, t] as const));
  requireFinite([...weights, ...state], path);
  return encodeSafetensors([...weights, ...state], checkpointMetadata(kind, cfg, { progress: JSON.stringify(progress) }));
}

/** The model kind a checkpoint's metadata names, or a CheckpointError naming the file. */
export function kindOf(metadata: Record<string, string>, path: string): SomeModelKind {
  const name = storedKind(metadata);
  const kind = modelNames.find((k) => k === name);
  if (!kind) throw new CheckpointError(`${path}: __metadata__.model ${JSON.stringify(name).slice(0, 40)} is not a model kind this version knows (${modelNames.join(', ')})`);
  return modelKinds[kind];
}

/** A training state file, open, its header read once: the progress record and stored model, validated. */
export interface TrainStateFile {
  readonly path: string;
  readonly progress: TrainingProgress;
  /** the stored model's kind and config, in words */
  readonly model: string;
  /** its tensors, read by loadTrainState (which closes it); close() if it is not loaded */
  readonly reader: SafetensorsReader;
}

/** Opens the training state beside `modelPath`, reading its header only (and closing it again if the header is refused). */
export async function openTrainState(modelPath: string): Promise<TrainStateFile> {
  const path = trainStatePath(modelPath);
  const reader = await openSafetensors(path);
  try {
    const { metadata } = reader.header;
    const kind = kindOf(metadata, path);
    return { path, progress: parseProgress(metadata.progress, path), model: kind.describe(kind.configFromMetadata(metadata, path)), reader };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** Reads an open training state of model `kind` (and closes it): all of it is validated before weights, then optimizer state, are read. */
export async function loadTrainState(
  state: TrainStateFile,
  kind: SomeModelKind,
  optimizer: Transform<unknown>,
): Promise<{ cfg: ImageModelConfig; params: unknown; opt: unknown; progress: TrainingProgress }> {
  const { path, progress, reader: file } = state;
  try {
    const { header } = file;
    requireF32(header, path);
    const cfg = checkModelHeader(kind, header, path, undefined, 'params.');
    let optBytes = 0;
    for (const [name, t] of header.tensors) {
      if (name.startsWith('opt.')) optBytes += t.end - t.begin;
      else if (!name.startsWith('params.')) throw new CheckpointError(`${path}: unexpected tensor ${JSON.stringify(name).slice(0, 80)}`);
    }
    // optimizers here keep at most two tensors per parameter: bound the read before knowing the exact state
    const weightBytes = byteCount(header, 'params.');
    if (optBytes > 2 * weightBytes) {
      throw new CheckpointError(`${path}: ${optBytes} bytes of optimizer state for ${weightBytes} bytes of weights; not a state this library writes`);
    }
    const params = modelParamsFromTensors(kind, cfg, await readAll(file, 'params.'), path, 'params.');
    const template = flatten(optimizer).init(params);
    try {
      const expected = treeLeaves(template).map(([name, t]) => ({ name: `opt.${name}`, shape: [...t.shape] }));
      const found = new Map([...header.tensors].filter(([name]) => name.startsWith('opt.')));
      const problems = checkTensors(found, expected);
      // a file written before the state was flat holds each vector as one tensor per parameter
      const perTensor = problems.length ? perTensorLayout(template, params) : null;
      if (perTensor && checkTensors(found, [...perTensor.values()].flat()).length) throw tensorMismatchError(path, problems);
      const tensors = await readAll(file, 'opt.');
      requireFinite([...tensors].map(([name, t]) => ({ name, ...t })), path);
      const values = (name: string) => {
        const parts = perTensor?.get(name);
        if (!parts) return tensors.get(`opt.${name}`)!.data;
        const out = new Float32Array(parts.reduce((n, p) => n + sizeOf(p.shape), 0));
        let at = 0;
        for (const p of parts) out.set(tensors.get(p.name)!.data, (at += sizeOf(p.shape)) - sizeOf(p.shape));
        return out;
      };
      const opt = mapTree(template, (t, name) => fromTypedArray(values(name), t.shape));
      return { cfg, params, opt, progress };
    } finally {
      disposeTree(template);
    }
  } finally {
    await file.close();
  }
}

/**
 * The per-tensor layout of flat state `template`: each leaf of the raveled parameters' length as
 * the tensors of the parameter tree under its path (how optimizer state was stored before it was
 * flat), other leaves as they are.
 */
function perTensorLayout(template: unknown, params: unknown): Map<string, Array<{ name: string; shape: number[] }>> {
  const leaves = treeLeaves(params);
  const total = leaves.reduce((n, [, t]) => n + t.size, 0);
  const layout = new Map<string, Array<{ name: string; shape: number[] }>>();
  for (const [name, t] of treeLeaves(template)) {
    const under = (p: string) => `opt.${[name, p].filter(Boolean).join('.')}`;
    layout.set(name, t.shape.length === 1 && t.size === total ? leaves.map(([p, w]) => ({ name: under(p), shape: [...w.shape] })) : [{ name: under(''), shape: [...t.shape] }]);
  }
  return layout;
}

function byteCount(header: SafetensorsReader['header'], prefix: string): number {
  let n = 0;
  for (const [name, t] of header.tensors) if (name.startsWith(prefix)) n += t.end - t.begin;
  return n;
}

async function readAll(file: SafetensorsReader, prefix: string): Promise<Map<string, LoadedTensor>> {
  const out = new Map<string, LoadedTensor>();
  for (const name of file.header.tensors.keys()) if (name.startsWith(prefix)) out.set(name, await file.tensor(name));
  return out;
}

/** A progress record's data field: a folder and at most 64 file names with their SHA-256; null when it is not one. */
function storedDataSource(d: unknown): DataSource | null {
  if (!isJsonObject(d) || typeof d.dir !== 'string' || d.dir.length > 4096 || !isJsonObject(d.files)) return null;
  const entries = Object.entries(d.files);
  if (entries.length > 64) return null;
  const files: [string, string][] = [];
  for (const [name, sha] of entries) {
    if (!/^[\w.-]{1,128}$/.test(name) || typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) return null;
    files.push([name, sha]);
  }
  // fromEntries defines own properties, so a "__proto__" name stays a plain key
  return { dir: d.dir, files: Object.fromEntries(files) };
}

/** The whole progress record, validated field by field (a hostile record fails here, before any file is touched). */
export function parseProgress(text: string | undefined, path: string): TrainingProgress {
  function fail(why: string): never {
    throw new CheckpointError(`${path}: progress record ${why}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    fail('is missing or not JSON');
  }
  if (!isJsonObject(raw)) fail('is not an object');
  const r = raw;
  const count = (k: string, v: unknown = r[k]) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`field ${k} must be a non-negative integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  };
  const finite = (k: string, v: unknown, lo: number, hi: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) fail(`field ${k} must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  };
  if (typeof r.run !== 'string' || !/^[0-9a-z-]{1,64}$/.test(r.run)) fail('has no valid run id');
  if (typeof r.recipe !== 'string' || r.recipe.length > 100_000) fail('has no valid recipe');
  const progress: TrainingProgress = {
    run: r.run,
    epoch: count('epoch'),
    step: count('step'),
    bestValAcc: finite('bestValAcc', r.bestValAcc, -1, 1),
    recipe: r.recipe,
  };
  if (r.data !== undefined) Object.assign(progress, { data: storedDataSource(r.data) ?? fail('field data must be {dir, files: {name: sha256}}') });
  if (r.partial === undefined) return progress;
  const p = r.partial;
  if (!isJsonObject(p)) return fail('field partial is not an object');
  const partial: PartialEpoch = {
    stepInEpoch: count('partial.stepInEpoch', p.stepInEpoch),
    lossSum: finite('partial.lossSum', p.lossSum, 0, Number.MAX_VALUE),
    correct: count('partial.correct', p.correct),
    seen: count('partial.seen', p.seen),
    seconds: finite('partial.seconds', p.seconds, 0, Number.MAX_VALUE),
  };
  if (partial.correct > partial.seen) fail(`field partial.correct ${partial.correct} exceeds partial.seen ${partial.seen}`);
  if (partial.stepInEpoch > partial.seen) fail(`field partial.stepInEpoch ${partial.stepInEpoch} exceeds partial.seen ${partial.seen}`);
  return { ...progress, partial };
}

/**
 * Whether a model file's metadata belongs to this training state (same run, epoch and step).
 * Returns null when it does, else why not, in words.
 */
export function pairMismatch(modelMetadata: Record<string, string>, progress: TrainingProgress): string | null {
  const want = pairMetadata(progress);
  if (modelMetadata.run !== want.run) return modelMetadata.run === undefined ? 'has no run id' : `belongs to run ${JSON.stringify(modelMetadata.run).slice(0, 70)}`;
  if (modelMetadata.epoch !== want.epoch || modelMetadata.step !== want.step) {
    return `is from epoch ${String(modelMetadata.epoch).slice(0, 20)}, step ${String(modelMetadata.step).slice(0, 20)}`;
  }
  return null;
}
