// ViT checkpoints as files (Node): written atomically, read bounded, header checked against the
// model before any weight is read. The bytes format is checkpoint.ts.
import { writeFileAtomic } from '../io/atomic.js';
import { openSafetensors } from '../io/safetensors-file.js';
import { requireF32, type LoadedTensor } from '../io/safetensors.js';
import { encodeModel } from '../nn/model-checkpoint.js';
import type { VitConfig, VitConfigInput } from './config.js';
import { checkCheckpointHeader, paramsFromTensors, vitCheckpoint, type Loaded } from './checkpoint.js';
import type { VitParams } from './params.js';

/**
 * Writes the model atomically; refuses non-finite weights (a NaN model never replaces a good one).
 * `params` are typed by `cfg` (a literal config's parameters with their literal dims).
 */
export async function saveModel<C extends VitConfigInput>(path: string, cfg: VitConfig<C> | C, params: VitParams<NoInfer<C>>, extra?: Record<string, string>): Promise<void>;
export async function saveModel(path: string, cfg: VitConfigInput, params: VitParams, extra: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, await encodeModel(vitCheckpoint, cfg, params, extra, path));
}

/**
 * Reads a model checkpoint. The config (the given one, else the file's own) must describe exactly
 * the file's tensors; all mismatches are reported in one capped line. A literal `expected` config
 * types the result (its parameters' literal dims), so the loaded model applies without casts.
 */
export async function loadModel<C extends VitConfigInput>(path: string, expected: VitConfig<C> | C): Promise<Loaded<C>>;
export async function loadModel(path: string, expected?: VitConfigInput): Promise<Loaded>;
export async function loadModel<C extends VitConfigInput>(path: string, expected?: VitConfig<C> | C): Promise<Loaded<C> | Loaded> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    // the weights are read only after the header is checked
    const read = async <K extends VitConfigInput>(cfg: VitConfig<K>): Promise<Loaded<K>> => {
      const tensors = new Map<string, LoadedTensor>();
      for (const name of file.header.tensors.keys()) tensors.set(name, await file.tensor(name));
      return { cfg, params: paramsFromTensors(cfg, tensors, path), metadata: file.header.metadata };
    };
    return expected === undefined ? await read(checkCheckpointHeader(file.header, path)) : await read(checkCheckpointHeader(file.header, path, expected));
  } finally {
    await file.close();
  }
}
