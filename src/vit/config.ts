// ViT configuration: validated at the type level (CheckVitConfig prints which number does not
// divide which) and again at runtime with the same message, where plain-JS input also has its keys
// and types checked and every problem is reported at once; derived sizes are literal types.
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { allFields, allOf, describeValue, didYouMean, invalid, isJsonObject, oneLine, orThrow, valid, type Problems, type Validation } from '../io/validation.js';
import { vitDerived, vitFields, type CheckVitConfig, type VitDims, type VitShapeConfig } from './shape.js';

export interface VitConfigInput extends VitShapeConfig {
  /** dropout on attention weights and after the MLP's GELU (mlp.2); default 0 */
  readonly dropout?: number;
  /**
   * what the classifier reads of the encoded sequence, after the final LayerNorm: the class token
   * ('token', the default, as in the PyTorch recipe) or the mean of all tokens ('mean', timm's
   * global_pool='avg' with the class token kept)
   */
  readonly pool?: VitPool;
}

export const vitPools = ['token', 'mean'] as const;
export type VitPool = (typeof vitPools)[number];

/** A validated config and its derived dims (tokens, patchDim, headDim, numPatches), typed as the ops compute them. */
export type VitConfig<C extends VitConfigInput = VitConfigInput> = C & VitDims<C>;

/** A config that is not valid: every problem found, as one line (`problems` lists them). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: Problems) {
    super(oneLine(problems));
  }
}

/**
 * Validates a ViT configuration; invalid literal configs fail to compile with the same message.
 * Plain-JS input is checked too, every problem at once: unknown keys (with the nearest valid one),
 * types, positive integers, dropout in [0, 1), and the divisibility rules.
 */
export function config<const C extends VitConfigInput>(c: C & CheckVitConfig<C>): VitConfig<C> {
  return checkedConfig<C>(c);
}

/**
 * config()'s checks at runtime only, for a config whose type cannot be checked at compile time (a
 * generic caller's); the result keeps the given type, as config() does.
 */
export function checkedConfig<C extends VitConfigInput>(input: VitConfig<C> | C): VitConfig<C> {
  const c: C = input;
  orThrow(checkConfig(c), (problems) => new ConfigError(problems));
  return { ...c, ...vitDerived<C>(c) };
}

// A VitConfig passed back in keeps its derived dims; they are recomputed.
const derivedKeys: readonly string[] = ['numPatches', 'tokens', 'patchDim', 'headDim'] satisfies (keyof VitDims<VitShapeConfig>)[];
const configKeys: readonly string[] = [...vitFields, 'dropout', 'pool'];

/** A pool named by plain data, or why it is not one. */
export function poolOf(v: unknown): Validation<VitPool> {
  const known = vitPools.find((p) => p === v);
  return known ? valid(known) : invalid(`pool must be ${vitPools.map((p) => `'${p}'`).join(' or ')}, got ${describeValue(v)}`);
}

/** Every problem of a config given as plain data, or the config. */
export function checkConfig(input: unknown): Validation<VitConfigInput> {
  if (!isJsonObject(input)) return invalid(`a ViT config must be an object, got ${describeValue(input)}`);
  const c = input;
  const unknownKeys = Object.keys(c)
    .filter((k) => !configKeys.includes(k) && !derivedKeys.includes(k))
    .map((k) => invalid(`unknown key '${k}'${didYouMean(k, configKeys, (n) => `'${n}'`)}`));
  const positiveInt = (k: string): Validation<number> => {
    const v = c[k];
    if (v === undefined) return invalid(`${k} is missing (a positive integer)`);
    if (typeof v !== 'number') return invalid(`${k} must be a number, got ${describeValue(v)}`);
    return Number.isSafeInteger(v) && v > 0 ? valid(v) : invalid(`${k} must be a positive integer, got ${v}`);
  };
  const dropout = c.dropout;
  const pool = c.pool;
  const fields = allFields({
    imageSize: positiveInt('imageSize'),
    patchSize: positiveInt('patchSize'),
    channels: positiveInt('channels'),
    embedDim: positiveInt('embedDim'),
    heads: positiveInt('heads'),
    mlpDim: positiveInt('mlpDim'),
    layers: positiveInt('layers'),
    classes: positiveInt('classes'),
    dropout:
      dropout === undefined ? valid(undefined)
      : typeof dropout !== 'number' ? invalid(`dropout must be a number, got ${describeValue(dropout)}`)
      : dropout >= 0 && dropout < 1 ? valid(dropout)
      : invalid(`dropout must be in [0, 1), got ${dropout}`),
    pool: pool === undefined ? valid(undefined) : poolOf(pool),
  });
  // The divisibility rules, for the fields that are valid numbers, in the type level's words.
  const divides = (a: Validation<number>, b: Validation<number>, message: (a: number, b: number) => string): Validation<void> =>
    E.isRight(a) && E.isRight(b) && a.right % b.right !== 0 ? invalid(message(a.right, b.right)) : valid(undefined);
  const rules = [
    divides(positiveInt('imageSize'), positiveInt('patchSize'), (i, p) => `patchSize ${p} does not divide imageSize ${i}`),
    divides(positiveInt('embedDim'), positiveInt('heads'), (e, h) => `embedDim ${e} is not divisible by heads ${h}`),
  ];
  return pipe(
    allOf<unknown>([...unknownKeys, fields, ...rules]),
    E.flatMap(() => fields),
    E.map(({ dropout, pool, ...shape }) => ({ ...shape, ...(dropout === undefined ? {} : { dropout }), ...(pool === undefined ? {} : { pool }) })),
  );
}

/** The recipe's model: patch 8, dim 384, 12 heads, MLP 384, 7 layers (6,306,442 parameters). */
export const seedConfig = { imageSize: 32, patchSize: 8, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 } as const;

/** The PyTorch constructor's names, as stored in checkpoint metadata; `pool` only where it is not the class token. */
export function torchConfig(c: VitConfigInput): Record<string, number | string> {
  return {
    ...(c.pool && c.pool !== 'token' ? { pool: c.pool } : {}),
    num_classes: c.classes,
    image_size: c.imageSize,
    patch_size: c.patchSize,
    embed_dim: c.embedDim,
    n_heads: c.heads,
    diff_dim: c.mlpDim,
    num_layers: c.layers,
  };
}
