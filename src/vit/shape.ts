// The ViT's shape rules, at the type level and at runtime with the same sentences: a config's
// fields must be positive integers, the patch must divide the image and the heads the embedding;
// its derived dims (tokens, patches, patch and head widths) are literal types for a literal config.
import type { Add, CheckOf, DivExact, HeadWidth, Mul, PatchCount, PositiveError } from '../dsl/shape-types.js';
import { exactAdd, exactDiv, exactMul, headWidth, patchCount, positive } from '../dsl/shape-rules.js';

/** The ViT hyper-parameters that fix its shapes; literal types give literal derived dims. */
export interface VitShapeConfig {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly embedDim: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly layers: number;
  readonly classes: number;
}
type VitKey = keyof VitShapeConfig;
type VitFields = typeof vitFields;
// First field, in VitFields order, that is not a positive integer.
type VitFieldError<C extends VitShapeConfig, F extends readonly VitKey[] = VitFields> =
  F extends readonly [infer K extends VitKey, ...infer R extends readonly VitKey[]]
    ? ([PositiveError<C[K], K>] extends [never] ? VitFieldError<C, R> : PositiveError<C[K], K>)
    : never;
type PatchGrid<C extends VitShapeConfig> =
  DivExact<C['imageSize'], C['patchSize'], `patchSize ${C['patchSize']} does not divide imageSize ${C['imageSize']}`>;
type VitSizes<C extends VitShapeConfig, G extends number, D extends number> =
  Mul<G, G> extends infer NP extends number
    ? (Add<NP, 1> extends infer T extends number
      ? (Mul<Mul<C['patchSize'], C['patchSize']>, C['channels']> extends infer PD extends number
        ? { numPatches: NP; tokens: T; patchDim: PD; headDim: D }
        : Mul<Mul<C['patchSize'], C['patchSize']>, C['channels']>)
      : Add<NP, 1>)
    : Mul<G, G>;
/** { numPatches: (I/P)^2, tokens: (I/P)^2 + 1, patchDim: P*P*C, headDim: E/H }, or the first error. */
export type VitDerived<C extends VitShapeConfig> =
  [VitFieldError<C>] extends [never]
    ? (PatchGrid<C> extends infer G extends number
      ? (HeadWidth<C['embedDim'], C['heads']> extends infer D extends number ? VitSizes<C, G, D> : HeadWidth<C['embedDim'], C['heads']>)
      : PatchGrid<C>)
    : VitFieldError<C>;
/** `unknown` when the config is valid: positive fields, P divides I, H divides E. */
export type CheckVitConfig<C extends VitShapeConfig> = VitDerived<C> extends infer R ? CheckOf<R> : never;
// One derived dim; `never` when the config is invalid (CheckVitConfig says why).
type VitField<C extends VitShapeConfig, K extends string> =
  VitDerived<C> extends { readonly [P in K]: infer V extends number } ? V : never;
/** Sequence length (I/P)^2 + 1: the patches plus the class token. */
export type Tokens<C extends VitShapeConfig> = VitField<C, 'tokens'>;
/** Number of patches (I/P)^2. */
export type NumPatches<C extends VitShapeConfig> = VitField<C, 'numPatches'>;
/** Length of a flattened patch, P * P * channels. */
export type PatchDim<C extends VitShapeConfig> = VitField<C, 'patchDim'>;
/** Width of one attention head, embedDim / heads. */
export type HeadDim<C extends VitShapeConfig> = VitField<C, 'headDim'>;

/**
 * A ViT config's derived dims as the ops' own arithmetic types (what patchify, concat and
 * splitHeads produce), so code generic over the config type-checks; literal for a literal config.
 */
export interface VitDims<C extends VitShapeConfig> {
  /** (I/P)·(I/P) */
  readonly numPatches: PatchCount<C['imageSize'], C['imageSize'], C['patchSize']>;
  /** the class token, then the patches */
  readonly tokens: Add<1, PatchCount<C['imageSize'], C['imageSize'], C['patchSize']>>;
  /** P·P·channels */
  readonly patchDim: Mul<Mul<C['patchSize'], C['patchSize']>, C['channels']>;
  /** E / H */
  readonly headDim: HeadWidth<C['embedDim'], C['heads']>;
}

/** The config fields that must be positive integers, in the order their errors are reported. */
export const vitFields = ['imageSize', 'patchSize', 'channels', 'embedDim', 'heads', 'mlpDim', 'layers', 'classes'] as const;

/** Validates a ViT config (positive fields, patch divides image, heads divide embedDim) and derives its dims. */
export function vitDerived<C extends VitShapeConfig>(c: C): VitDims<C>;
export function vitDerived(c: VitShapeConfig): VitDims<VitShapeConfig> {
  for (const k of vitFields) positive(c[k], k);
  exactDiv(c.imageSize, c.patchSize, () => `patchSize ${c.patchSize} does not divide imageSize ${c.imageSize}`);
  const headDim = headWidth(c.embedDim, c.heads);
  const numPatches = patchCount(c.imageSize, c.imageSize, c.patchSize);
  const tokens = exactAdd(1, numPatches);
  const patchDim = exactMul(exactMul(c.patchSize, c.patchSize), c.channels);
  return { numPatches, tokens, patchDim, headDim };
}
