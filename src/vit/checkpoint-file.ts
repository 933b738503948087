// ViT checkpoints as files (Node): written atomically, read bounded, header checked against the
// model before any weight is read. The bytes format is checkpoint.ts.
import { writeFileAtomic } from '../io/atomic.js';
import { openSafetensors } from '../io/safetensors-file.js';
import { encodeSafetensors, requireF32 } from '../io/safetensors.js';
import type { VitConfig, VitConfigInput } from './config.js';
import { checkCheckpointHeader, checkpointEntries, checkpointMetadata, paramsFromTensors, requireFinite } from './checkpoint.js';
import type { VitParams } from './params.js';

/** Writes the model atomically; refuses non-finite weights (a NaN model never replaces a good one). */
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
export async function inspectModel(path: string, expected?: VitConfigInput): Promise<VitConfig> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    return checkCheckpointHeader(file.header, path, expected);
  } finally {
    await file.close();
  }
}

/**
 * Reads a model checkpoint. The config (the given one, else the file's own) must describe exactly
 * the file's tensors; all mismatches are reported in one capped line.
 */
export async function loadModel(path: string, expected?: VitConfigInput): Promise<{ cfg: VitConfig; params: VitParams; metadata: Record<string, string> }> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    const cfg = checkCheckpointHeader(file.header, path, expected);
    const tensors = new Map();
    for (const name of file.header.tensors.keys()) tensors.set(name, await file.tensor(name));
    return { cfg, params: paramsFromTensors(cfg, tensors, path), metadata: file.header.metadata };
  } finally {
    await file.close();
  }
}
