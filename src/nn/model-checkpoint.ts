// Checkpoints of any model kind as safetensors bytes: the PyTorch state_dict names and shapes, the
// model's kind (`__metadata__.model`; absent means a ViT, as files written before it existed) and
// its config (the torch constructor's names, `__metadata__.config`). Pure (no node: imports).
// Checkpoints are untrusted: the kind must be the one asked for, the config is bounded and must
// describe exactly the bytes present before any tensor is listed or decoded, every problem list
// is capped, and non-finite weights are refused.
import { fromTypedArray, type Tensor } from '../dsl/index.js';
import { checkTensors, encodeSafetensors, summarize, tensorMismatchError, type ExpectedTensor, type LoadedTensor, type SafetensorsHeader, type TensorEntry } from '../io/safetensors.js';
import { describeValue, invalid, isJsonObject, valid, type Validation } from '../io/validation.js';
import type { ParameterReader } from './init.js';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * `__metadata__.config` of a checkpoint as a record (one line naming the file when it is missing or
 * not JSON), and a reader of its positive integer fields, each bounded by `limits`.
 */
export function storedConfigFields<K extends string>(metadata: Record<string, string>, fileName: string, limits: Readonly<Record<K, number>>): (k: K) => Validation<number> {
  let raw: unknown;
  try {
    raw = JSON.parse(metadata.config ?? 'null');
  } catch {
    throw new CheckpointError(`${fileName}: __metadata__.config is not valid JSON`);
  }
  if (!isJsonObject(raw)) throw new CheckpointError(`${fileName}: no model config in __metadata__.config`);
  const stored = raw;
  return (k) => {
    const v = stored[k];
    if (!Number.isSafeInteger(v) || (v as number) <= 0) return invalid(`__metadata__.config.${k} must be a positive integer, got ${describeValue(v)}`);
    if ((v as number) > limits[k]) return invalid(`__metadata__.config.${k} is ${v}, above the limit ${limits[k]}`);
    return valid(v as number);
  };
}

/** What a checkpoint needs to know of a model kind; `In` is a config as a caller gives it (validated into a `Cfg`). */
export interface CheckpointModel<Cfg extends In, P, In = Cfg> {
  /** stored in `__metadata__.model` */
  readonly kind: string;
  /** the kind in words ("ViT", "ResNet") */
  readonly label: string;
  /** the stored config (bounded, validated), every problem at once, as a CheckpointError naming the file */
  configFromMetadata(metadata: Record<string, string>, fileName: string): Cfg;
  /** a config given by the caller, validated (CheckpointError naming the file) */
  validConfig(input: In, fileName: string): Cfg;
  /** the torch constructor's names, for `__metadata__.config` */
  torchConfig(cfg: In): Record<string, number | string>;
  describe(cfg: In): string;
  /** counted arithmetically, so a hostile config is refused by size before its tensors are listed */
  parameterCount(cfg: Cfg): number;
  expectedShapes(cfg: Cfg): Array<{ name: string; shape: number[] }>;
  stateDict(params: P): Array<[string, Tensor]>;
  fromStateDict(cfg: Cfg, get: ParameterReader): P;
}

/** The kind a checkpoint's metadata names (absent: a ViT). */
export const storedKind = (metadata: Record<string, string>): string => metadata.model ?? 'vit';

/** Refuses a checkpoint of another kind in one line, naming both. */
export function requireKind(model: { readonly kind: string; readonly label: string }, metadata: Record<string, string>, fileName: string): void {
  const kind = storedKind(metadata);
  if (kind !== model.kind) throw new CheckpointError(`${fileName} is a ${JSON.stringify(kind).slice(0, 40)} checkpoint, not a ${JSON.stringify(model.kind)} one (a ${model.label})`);
}

/** Reads tensors back from the device as safetensors entries. */
export async function tensorEntries(pairs: ReadonlyArray<readonly [string, Tensor]>): Promise<TensorEntry[]> {
  const out: TensorEntry[] = [];
  for (const [name, t] of pairs) out.push({ name, shape: [...t.shape], data: await t.data() });
  return out;
}

/** The checkpoint's metadata: `extra`, the model's kind and config. */
export function checkpointMetadata<In>(model: { readonly kind: string; torchConfig(cfg: In): Record<string, number | string> }, cfg: In, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, model: model.kind, config: JSON.stringify(model.torchConfig(cfg)) };
}

/** A model's checkpoint bytes: its state_dict, kind and config; non-finite weights are refused naming `what` (the caller, or the file being written). */
export async function encodeModel<In, P>(model: { readonly kind: string; torchConfig(cfg: In): Record<string, number | string>; stateDict(params: P): Array<[string, Tensor]> }, cfg: In, params: P, extra: Record<string, string>, what: string): Promise<Uint8Array> {
  const entries = await tensorEntries(model.stateDict(params));
  requireFinite(entries, what);
  return encodeSafetensors(entries, checkpointMetadata(model, cfg, extra));
}

/**
 * Checks a checkpoint's header against a model (the expected config, else the stored one) before
 * any data is read: the kind, then the size, then names, shapes and dtypes. Returns the config.
 */
export function checkModelHeader<Cfg extends In, In>(model: CheckpointModel<Cfg, unknown, In>, header: SafetensorsHeader, fileName: string, expected?: In, tensorPrefix = ''): Cfg {
  requireKind(model, header.metadata, fileName);
  const cfg = expected !== undefined ? model.validConfig(expected, fileName) : model.configFromMetadata(header.metadata, fileName);
  return requireModelTensors(model, header, fileName, cfg, tensorPrefix);
}

/**
 * Refuses a header whose tensors (those under `tensorPrefix`) are not exactly the model of `cfg`:
 * the size first, so a hostile config is refused before its tensors are listed, then names, shapes
 * and dtypes. Returns `cfg`, with its type.
 */
export function requireModelTensors<Cfg extends In, In, K extends Cfg>(model: CheckpointModel<Cfg, unknown, In>, header: SafetensorsHeader, fileName: string, cfg: K, tensorPrefix = ''): K {
  const want = model.parameterCount(cfg) * 4;
  let have = 0;
  for (const [name, t] of header.tensors) if (name.startsWith(tensorPrefix)) have += t.end - t.begin;
  if (have !== want) throw new CheckpointError(`${fileName}: the model config (${model.describe(cfg)}) needs ${want} bytes of weights, the file holds ${have}`);
  const ours = new Map([...header.tensors].filter(([name]) => name.startsWith(tensorPrefix)).map(([name, t]) => [name.slice(tensorPrefix.length), t]));
  const problems = checkTensors(ours, model.expectedShapes(cfg));
  if (problems.length) throw tensorMismatchError(fileName, problems);
  return cfg;
}

/** Builds the parameter tree from decoded tensors (names already checked); refuses NaN/Inf. */
export function modelParamsFromTensors<Cfg extends In, P, In>(model: CheckpointModel<Cfg, P, In>, cfg: Cfg, tensors: ReadonlyMap<string, LoadedTensor>, fileName: string, tensorPrefix = ''): P {
  return model.fromStateDict(cfg, parameterReader(model.expectedShapes(cfg), tensors, fileName, tensorPrefix));
}

/**
 * Reads parameters from decoded tensors: all of `expected` must be there and finite (every bad one
 * named in one line), and each read checks the stored shape is the one asked for, so the tensor it
 * makes (fromTypedArray, typed by that shape) has the shape its type says.
 */
export function parameterReader(expected: readonly ExpectedTensor[], tensors: ReadonlyMap<string, LoadedTensor>, fileName: string, tensorPrefix = ''): ParameterReader {
  const stored = (name: string): LoadedTensor => {
    const t = tensors.get(tensorPrefix + name);
    if (!t) throw new CheckpointError(`${fileName}: missing tensor ${JSON.stringify(tensorPrefix + name)}`);
    return t;
  };
  requireFinite(expected.map(({ name }) => ({ name: tensorPrefix + name, ...stored(name) })), fileName);
  return (name, shape) => {
    const t = stored(name);
    const problems = checkTensors(new Map([[tensorPrefix + name, t]]), [{ name: tensorPrefix + name, shape }]);
    if (problems.length) throw tensorMismatchError(fileName, problems);
    return fromTypedArray(t.data, shape);
  };
}

/** Throws a one-line error naming the tensors that hold NaN or Infinity. */
export function requireFinite(entries: readonly TensorEntry[], fileName: string): void {
  const bad: string[] = [];
  for (const e of entries) {
    let n = 0;
    for (let i = 0; i < e.data.length; i++) if (!Number.isFinite(e.data[i])) n++;
    if (n > 0) bad.push(`${JSON.stringify(e.name)} (${n} of ${e.data.length} values)`);
  }
  if (bad.length) throw new CheckpointError(`${fileName}: weights are not finite (NaN or Infinity) in ${summarize(bad, 4)}; refusing to use them`);
}
