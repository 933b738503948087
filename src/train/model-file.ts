// Model files of any kind (Node): written atomically, read bounded, the header checked against the
// model kind (the one asked for, else the file's own) before any weight is read.
import { writeFileAtomic } from '../io/atomic.js';
import { openSafetensors } from '../io/safetensors-file.js';
import { requireF32 } from '../io/safetensors.js';
import { checkModelHeader, encodeModel, modelParamsFromTensors } from '../nn/model-checkpoint.js';
import { kindOf } from './checkpoint.js';
import type { ImageModelConfig, SomeModelKind } from './models.js';

/** A model of some kind and its config. */
export interface KindAndConfig {
  readonly kind: SomeModelKind;
  readonly cfg: ImageModelConfig;
}

/** The bytes of a model file at `path` (non-finite weights refused, naming the file). */
export async function encodeModelFile({ kind, cfg }: KindAndConfig, path: string, params: unknown, extra: Record<string, string> = {}): Promise<Uint8Array> {
  return encodeModel(kind, cfg, params, extra, path);
}

/** Writes a model file atomically (a NaN model never replaces a good one). */
export async function saveModelFile(model: KindAndConfig, path: string, params: unknown, extra: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, await encodeModelFile(model, path, params, extra));
}

/** Checks a model file's header (kind, size, config, names, shapes) without reading its weights; `kind` absent: the file's own. */
export async function inspectModelFile(path: string, kind?: SomeModelKind): Promise<KindAndConfig> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    const k = kind ?? kindOf(file.header.metadata, path);
    return { kind: k, cfg: checkModelHeader(k, file.header, path) };
  } finally {
    await file.close();
  }
}

/** Reads a model file of `kind` (else the file's own kind), every mismatch reported in one capped line. */
export async function loadModelFile(path: string, kind?: SomeModelKind): Promise<KindAndConfig & { params: unknown; metadata: Record<string, string> }> {
  const file = await openSafetensors(path);
  try {
    requireF32(file.header, path);
    const k = kind ?? kindOf(file.header.metadata, path);
    const cfg = checkModelHeader(k, file.header, path);
    const tensors = new Map();
    for (const name of file.header.tensors.keys()) tensors.set(name, await file.tensor(name));
    return { kind: k, cfg, params: modelParamsFromTensors(k, cfg, tensors, path), metadata: file.header.metadata };
  } finally {
    await file.close();
  }
}
