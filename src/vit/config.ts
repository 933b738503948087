// ViT configuration: validated at the type level (CheckVitConfig prints which number does not
// divide which) and again at runtime with the same message; derived sizes are literal types.
import { vitDerived, vitFields, type CheckVitConfig, type VitDims, type VitShapeConfig } from './shape.js';

export interface VitConfigInput extends VitShapeConfig {
  /** dropout on attention weights and after the MLP's GELU (mlp.2); default 0 */
  readonly dropout?: number;
}

/** A validated config and its derived dims (tokens, patchDim, headDim, numPatches), typed as the ops compute them. */
export type VitConfig<C extends VitConfigInput = VitConfigInput> = C & VitDims<C>;

/** Validates a ViT configuration; invalid literal configs fail to compile with the same message. */
export function config<const C extends VitConfigInput>(c: C & CheckVitConfig<C>): VitConfig<C> {
  for (const k of vitFields) {
    if (!Number.isSafeInteger(c[k]) || c[k] <= 0) throw new Error(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${c.dropout}`);
  return { ...c, ...vitDerived<C>(c) };
}

/** The recipe's model: patch 8, dim 384, 12 heads, MLP 384, 7 layers (6,306,442 parameters). */
export const seedConfig = { imageSize: 32, patchSize: 8, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 } as const;

/** The PyTorch constructor's names, as stored in checkpoint metadata. */
export function torchConfig(c: VitConfigInput): Record<string, number> {
  return {
    num_classes: c.classes,
    image_size: c.imageSize,
    patch_size: c.patchSize,
    embed_dim: c.embedDim,
    n_heads: c.heads,
    diff_dim: c.mlpDim,
    num_layers: c.layers,
  };
}
