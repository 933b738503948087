// ViT checkpoints as files (Node): written atomically, read bounded, header checked against the
// model before any weight is read. The bytes format is checkpoint.ts.
import { writeFileAtomic } from '../io/atomic.js';
import { openSafetensors } from '../io/safetensors-file.js';
import { encodeSafetensors, requireF32 } from '../io/safetensors.js';
import type { VitConfig, VitConfigInput } from './config.js';
import { checkCheckpointHeader, checkpointEntries, checkpointMetadata, paramsFromTensors, requireFinite, typedAs, type Loaded } from './checkpoint.js';
import type { VitParams } from './params.js';

/**
 * Writes the model atomically; refuses non-finite weights (a NaN model never replaces a good one).
 * `params` are typed by `cfg` (a literal config's parameters with their literal dims).
 */
export async function saveModel<C extends VitConfigInput>(path: string, cfg: VitConfig<C> | C, params: VitParams<NoInfer<C>>, extra?: Record<string, string>): Promise<void>;
export async function saveModel(path: string, cfg: VitConfigInput, params: VitParams, extra: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpointFile(path, cfg, params, extra));
}

/** The bytes saveModel writes to `path` (non-finite weights refused, naming the file). */
export async function encodeCheckpointFile(path: string, cfg: VitConfigInput, params: VitParams, extra: Record<string, string> = {}): Promise<Uint8Array> {
  const entries = await checkpointEntries(params);
  requireFinite(entries, path);
  return encodeSafetensors(entries, checkpointMetadata(cfg, extra));
}

/** Checks a model file's header (size, config, names, shapes) without reading its weights. */
export async function inspectModel<C extends VitConfigInput = VitConfigInput>(path: string, expected?: VitConfig<C> | C): Promise<VitConfig<C>> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    return typedAs<C>({ cfg: checkCheckpointHeader(file.header, path, expected), params: null!, metadata: {} }).cfg;
  } finally {
    await file.close();
  }
}

/**
 * Reads a model checkpoint. The config (the given one, else the file's own) must describe exactly
 * the file's tensors; all mismatches are reported in one capped line. A literal `expected` config
 * types the result (its parameters' literal dims), so the loaded model applies without casts.
 */
export async function loadModel<C extends VitConfigInput = VitConfigInput>(path: string, expected?: VitConfig<C> | C): Promise<Loaded<C>> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    const cfg = checkCheckpointHeader(file.header, path, expected);
    const tensors = new Map();
    for (const name of file.header.tensors.keys()) tensors.set(name, await file.tensor(name));
    return typedAs<C>({ cfg, params: paramsFromTensors(cfg, tensors, path), metadata: file.header.metadata });
  } finally {
    await file.close();
  }
}
