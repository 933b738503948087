// ViT checkpoints: safetensors with the PyTorch state_dict names and shapes, the model config (torch
// constructor names) in __metadata__.config; optimizer state and progress in a sibling file
// `<name>.train.safetensors` for exact resume. Files are untrusted when read; writes are atomic.
import { fromTypedArray, mapTree, type Tensor } from '../dsl/index.js';
import { checkTensors, inspectSafetensors, loadSafetensors, saveSafetensors, tensorMismatchError, type TensorEntry } from '../train/safetensors.js';
import { readFile } from 'node:fs/promises';
import { config as makeConfig, torchConfig, type VitConfig, type VitConfigInput } from './config.js';
import { expectedShapes, fromStateDict, stateDict, type VitParams } from './params.js';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

async function entriesOf(pairs: ReadonlyArray<readonly [string, Tensor]>): Promise<TensorEntry[]> {
  const out: TensorEntry[] = [];
  for (const [name, t] of pairs) out.push({ name, shape: [...t.shape], data: await t.data() });
  return out;
}

/** Writes the model (atomically). */
export async function saveModel(path: string, cfg: VitConfigInput, params: VitParams, extra: Record<string, string> = {}): Promise<void> {
  await saveSafetensors(path, await entriesOf(stateDict(params)), { ...extra, config: JSON.stringify(torchConfig(cfg)) });
}

/** The config stored in a checkpoint's metadata (PyTorch names), as a shaped-vit config. */
export function configFromMetadata(metadata: Record<string, string>, fileName: string, heads?: number): VitConfigInput {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(metadata.config ?? 'null');
  } catch {
    throw new CheckpointError(`${fileName}: __metadata__.config is not valid JSON`);
  }
  if (!raw || typeof raw !== 'object') throw new CheckpointError(`${fileName}: no model config in __metadata__.config`);
  const num = (k: string) => {
    const v = raw[k];
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new CheckpointError(`${fileName}: __metadata__.config.${k} must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  return {
    classes: num('num_classes'),
    imageSize: num('image_size'),
    patchSize: num('patch_size'),
    channels: 3,
    embedDim: num('embed_dim'),
    heads: heads ?? num('n_heads'),
    mlpDim: num('diff_dim'),
    layers: num('num_layers'),
  };
}

/**
 * Reads a model checkpoint. Every name, shape and dtype is checked against the config (the given
 * one, else the file's own) and all mismatches are reported in one error.
 */
export async function loadModel(path: string, expected?: VitConfigInput): Promise<{ cfg: VitConfig; params: VitParams }> {
  const bytes = await readBytes(path);
  const header = inspectSafetensors(bytes, path);
  const input = expected ?? configFromMetadata(header.metadata, path);
  const cfg = makeConfig(input as never) as VitConfig;
  const problems = checkTensors(header.tensors, expectedShapes(cfg));
  if (problems.length) throw tensorMismatchError(path, problems);
  const { tensors } = await loadSafetensors(path);
  const params = fromStateDict(cfg, (name) => {
    const t = tensors.get(name)!;
    return fromTypedArray(t.data, t.shape);
  });
  return { cfg, params };
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Pytree paths of every tensor, e.g. "1.m.encoder.0.mlp.fc1.weight". */
export function treeEntries(tree: unknown, prefix = ''): Array<[string, Tensor]> {
  const out: Array<[string, Tensor]> = [];
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === 'object' && 'shape' in v && 'size' in v) out.push([path, v as Tensor]);
    else if (Array.isArray(v)) v.forEach((x, k) => walk(x, path ? `${path}.${k}` : `${k}`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(tree, prefix);
  return out;
}

export interface TrainingProgress {
  /** epochs completed */
  readonly epoch: number;
  /** optimizer steps done */
  readonly step: number;
  readonly bestValAcc: number;
  /** the run's flags, so --resume can refuse a different recipe */
  readonly recipe: string;
}

export const trainStatePath = (modelPath: string) => modelPath.replace(/\.safetensors$/, '') + '.train.safetensors';

/** Writes optimizer state and progress next to the model. */
export async function saveTrainState(modelPath: string, opt: unknown, progress: TrainingProgress): Promise<void> {
  const entries = await entriesOf(treeEntries(opt));
  await saveSafetensors(trainStatePath(modelPath), entries, { progress: JSON.stringify(progress) });
}

/** Reads optimizer state shaped like `template` (the optimizer's init state) and the progress record. */
export async function loadTrainState(modelPath: string, template: unknown): Promise<{ opt: unknown; progress: TrainingProgress }> {
  const path = trainStatePath(modelPath);
  const bytes = await readBytes(path);
  const header = inspectSafetensors(bytes, path);
  const expected = treeEntries(template).map(([name, t]) => ({ name, shape: [...t.shape] }));
  const problems = checkTensors(header.tensors, expected);
  if (problems.length) throw tensorMismatchError(path, problems);
  let progress: TrainingProgress;
  try {
    progress = JSON.parse(header.metadata.progress ?? '');
  } catch {
    throw new CheckpointError(`${path}: no valid progress record in __metadata__`);
  }
  if (!Number.isSafeInteger(progress?.epoch) || !Number.isSafeInteger(progress?.step)) throw new CheckpointError(`${path}: progress record lacks epoch/step`);
  const { tensors } = await loadSafetensors(path);
  const byTensor = new Map(treeEntries(template).map(([name, t]) => [t, name]));
  const opt = mapTree(template, (t) => {
    const loaded = tensors.get(byTensor.get(t)!)!;
    return fromTypedArray(loaded.data, loaded.shape);
  });
  return { opt, progress };
}
