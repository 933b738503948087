// ViT checkpoints as safetensors bytes: the PyTorch state_dict names and shapes, the model config
// (torch constructor names) in __metadata__.config. Pure (no node: imports), so a page can load
// and save them; checkpoint-file.ts does the same for files. Checkpoints are untrusted: the config
// is bounded and must describe exactly the bytes present before any tensor is listed or decoded,
// every problem list is capped, and non-finite weights are refused.
import { decodeSafetensors, inspectSafetensors, type LoadedTensor, type SafetensorsHeader } from '../io/safetensors.js';
import { allFields, isJsonObject, oneLine, orThrow, valid } from '../io/validation.js';
import {
  CheckpointError,
  encodeModel,
  parameterReader,
  requireKind,
  requireModelTensors,
  storedConfigFields,
  type CheckpointModel,
} from '../nn/model-checkpoint.js';
import { checkedConfig, poolOf, torchConfig, type VitConfig, type VitConfigInput } from './config.js';
import { expectedShapes, fromStateDict, stateDict, type VitParams } from './params.js';

export { CheckpointError };

/** Upper bounds on a stored config: far above any model this library trains, far below what would exhaust memory while checking one. */
export const CONFIG_LIMITS = {
  num_classes: 1 << 20,
  image_size: 1 << 14,
  patch_size: 1 << 14,
  embed_dim: 1 << 16,
  n_heads: 1 << 12,
  diff_dim: 1 << 18,
  num_layers: 1 << 12,
} as const;

/** A ViT checkpoint as safetensors bytes (what saveModel writes); `params` are typed by `cfg`. */
export async function encodeCheckpoint<C extends VitConfigInput>(cfg: VitConfig<C> | C, params: VitParams<NoInfer<C>>, extra?: Record<string, string>): Promise<Uint8Array>;
export async function encodeCheckpoint(cfg: VitConfigInput, params: VitParams, extra: Record<string, string> = {}): Promise<Uint8Array> {
  return encodeModel(vitCheckpoint, cfg, params, extra, 'encodeCheckpoint');
}

/**
 * Decodes checkpoint bytes; `expected` (else the stored config) decides the model, and types the
 * result: a literal config gives parameters with its literal dims.
 */
export function decodeCheckpoint<C extends VitConfigInput>(bytes: Uint8Array, opts: { fileName?: string; expected: VitConfig<C> | C }): Loaded<C>;
export function decodeCheckpoint(bytes: Uint8Array, opts?: { fileName?: string; expected?: VitConfigInput }): Loaded;
export function decodeCheckpoint<C extends VitConfigInput>(bytes: Uint8Array, opts: { fileName?: string; expected?: VitConfig<C> | C } = {}): Loaded<C> | Loaded {
  const fileName = opts.fileName ?? 'checkpoint';
  const header = inspectSafetensors(bytes, fileName);
  // the weights are decoded only after the header is checked
  const read = <K extends VitConfigInput>(cfg: VitConfig<K>): Loaded<K> => {
    const { tensors, metadata } = decodeSafetensors(bytes, fileName);
    return { cfg, params: paramsFromTensors(cfg, tensors, fileName), metadata };
  };
  return opts.expected === undefined ? read(checkCheckpointHeader(header, fileName)) : read(checkCheckpointHeader(header, fileName, opts.expected));
}

/** A loaded checkpoint, typed by the config it was checked against. */
export interface Loaded<C extends VitConfigInput = VitConfigInput> {
  readonly cfg: VitConfig<C>;
  readonly params: VitParams<C>;
  readonly metadata: Record<string, string>;
}

/** The config stored in a checkpoint's metadata (PyTorch names), bounded by CONFIG_LIMITS; no `pool` is the class token. */
export function configFromMetadata(metadata: Record<string, string>, fileName: string): VitConfigInput {
  const num = storedConfigFields(metadata, fileName, CONFIG_LIMITS);
  const pool = storedPool(metadata);
  // every bad field at once
  const fields = allFields({
    classes: num('num_classes'),
    imageSize: num('image_size'),
    patchSize: num('patch_size'),
    channels: valid(3),
    embedDim: num('embed_dim'),
    heads: num('n_heads'),
    mlpDim: num('diff_dim'),
    layers: num('num_layers'),
    pool: pool === undefined ? valid(undefined) : poolOf(pool),
  });
  const { pool: stored, ...shape } = orThrow(fields, (problems) => new CheckpointError(`${fileName}: ${oneLine(problems)}`));
  return stored === undefined ? shape : { ...shape, pool: stored };
}

/** `__metadata__.config.pool` as stored: undefined where there is none (or no config to hold one). */
function storedPool(metadata: Record<string, string>): unknown {
  try {
    const config: unknown = JSON.parse(metadata.config ?? 'null');
    return isJsonObject(config) ? config.pool : undefined;
  } catch {
    return undefined;
  }
}

/** A validated config (the shape rules' messages, prefixed with the file), typed as the given one. */
export function validConfig<C extends VitConfigInput>(input: VitConfig<C> | C, fileName: string): VitConfig<C> {
  try {
    return checkedConfig(input);
  } catch (e) {
    throw new CheckpointError(`${fileName}: the stored model config is invalid: ${(e as Error).message}`);
  }
}

const poolWords = { token: 'the class token', mean: 'the mean of all tokens' } as const;

/** Parameters of a config, counted arithmetically (no per-layer lists). */
export function parameterCountOf(cfg: VitConfig): number {
  const e = cfg.embedDim;
  const d = cfg.mlpDim;
  const perLayer = 3 * e * e + 3 * e + e * e + e + 2 * e + d * e + d + e * d + e + 2 * e;
  return cfg.tokens * e + e + e * cfg.patchDim + e + 2 * e + cfg.layers * perLayer + 2 * e + cfg.classes * e + cfg.classes;
}

/**
 * Checks a checkpoint's header against a model (the expected config, else the stored one) before
 * any data is read: kind, size first, then names, shapes and dtypes. Returns the model's config;
 * an expected config keeps its type, since the file has been checked to hold exactly its tensors.
 */
export function checkCheckpointHeader<C extends VitConfigInput>(header: SafetensorsHeader, fileName: string, expected: VitConfig<C> | C): VitConfig<C>;
export function checkCheckpointHeader(header: SafetensorsHeader, fileName: string): VitConfig;
export function checkCheckpointHeader<C extends VitConfigInput>(header: SafetensorsHeader, fileName: string, expected?: VitConfig<C> | C): VitConfig<C> | VitConfig {
  requireKind(vitCheckpoint, header.metadata, fileName);
  if (expected === undefined) return requireModelTensors(vitCheckpoint, header, fileName, vitCheckpoint.configFromMetadata(header.metadata, fileName));
  const cfg = validConfig(expected, fileName);
  // the pool changes no weight: a given config that reads the sequence otherwise than the file's model is refused by name
  const stored = storedPool(header.metadata);
  const had = stored === undefined ? 'token' : orThrow(poolOf(stored), (problems) => new CheckpointError(`${fileName}: ${oneLine(problems)}`));
  const wants = cfg.pool ?? 'token';
  if (had !== wants) throw new CheckpointError(`${fileName}: the file's model classifies ${poolWords[had]}, the given config ${poolWords[wants]} (pool '${wants}')`);
  return requireModelTensors(vitCheckpoint, header, fileName, cfg);
}

/** Builds the parameter tree from decoded tensors (names already checked), each typed by `cfg`'s dims; refuses NaN/Inf. */
export function paramsFromTensors<C extends VitConfigInput>(cfg: VitConfig<C>, tensors: ReadonlyMap<string, LoadedTensor>, fileName: string): VitParams<C> {
  return fromStateDict(cfg, parameterReader(expectedShapes(cfg), tensors, fileName));
}

export function describeConfig(cfg: VitConfigInput): string {
  return `patch ${cfg.patchSize}, dim ${cfg.embedDim}, ${cfg.heads} heads, MLP ${cfg.mlpDim}, ${cfg.layers} layers, ${cfg.classes} classes, image ${cfg.imageSize}${cfg.pool === 'mean' ? ', mean pool' : ''}`;
}

/** The ViT as a checkpoint kind (absent `__metadata__.model` reads as this one). */
export const vitCheckpoint: CheckpointModel<VitConfig, VitParams, VitConfigInput> = {
  kind: 'vit',
  label: 'ViT',
  configFromMetadata: (metadata, fileName) => validConfig(configFromMetadata(metadata, fileName), fileName),
  validConfig,
  torchConfig,
  describe: describeConfig,
  parameterCount: parameterCountOf,
  expectedShapes,
  stateDict,
  fromStateDict,
};
