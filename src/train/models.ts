// The model kinds training knows: each is its checkpoint rules (nn/model-checkpoint.ts) plus init,
// apply and a memory estimate, so the loop, the run folder and the CLI handle a ViT and a ResNet
// the same way. The kinds are typed; code that handles either (a run whose kind comes from a flag
// or a file) holds a `SomeModelKind`, whose config and parameters it passes back unexamined.
import type { Seed, Tensor } from '../dsl/index.js';
import type { CheckpointModel } from '../nn/model-checkpoint.js';
import { resnet, type ResnetConfig, type ResnetConfigInput, type ResnetParams } from '../resnet/index.js';
import { resnetCheckpoint } from '../resnet/checkpoint.js';
import { vitCheckpoint } from '../vit/checkpoint.js';
import { vit, type VitConfig, type VitConfigInput, type VitParams } from '../vit/index.js';

export const modelNames = ['vit', 'resnet'] as const;
export type ModelName = (typeof modelNames)[number];

/** What every image classifier's config says: the images it takes and the classes it gives. */
export interface ImageModelConfig {
  readonly imageSize: number;
  readonly channels: number;
  readonly classes: number;
}

/** What a training step needs of a model. */
export interface Classifier<Cfg extends ImageModelConfig, P> {
  /** logits [B, classes] of normalized images [B, channels, imageSize, imageSize] */
  apply(cfg: Cfg, params: P, images: BatchImages<Cfg>, options: { readonly train: boolean; readonly seed: Seed }): Tensor<[number, Cfg['classes']]>;
}

/** A batch of images for a model's config. */
export type BatchImages<Cfg extends ImageModelConfig> = Tensor<[number, Cfg['channels'], Cfg['imageSize'], Cfg['imageSize']]>;

export interface ModelKind<Cfg extends In & ImageModelConfig, P, In = Cfg> extends CheckpointModel<Cfg, P, In>, Classifier<Cfg, P> {
  readonly kind: ModelName;
  init(cfg: Cfg, options: { readonly seed: number }): P;
  /** floats per image kept for the backward pass (the training memory estimate) */
  activationsPerImage(cfg: Cfg): number;
}

/** The erased form: a config and parameters of either kind, checked at runtime where they come from files or flags. */
export type SomeModelKind = ModelKind<any, any, any>;

export const vitKind: ModelKind<VitConfig, VitParams, VitConfigInput> = {
  ...vitCheckpoint,
  kind: 'vit',
  init: (cfg, o) => vit.init(cfg, o),
  apply: (cfg, params, images, o) => vit.apply(cfg, params, images, o),
  // per layer: layer norms, q/k/v, heads' outputs, projections and residuals (~12 T·E), scores,
  // softmax and its dropout (3 H·T²), the MLP's hidden activations (4 T·D); calibrated on the seed
  // model: the estimate for --batch-size 4096 is 13.2 GB, the measured peak 11.9 GB
  activationsPerImage: (c) => c.layers * (12 * c.tokens * c.embedDim + 3 * c.heads * c.tokens ** 2 + 4 * c.tokens * c.mlpDim) + 4 * c.tokens * c.embedDim + c.channels * c.imageSize ** 2,
};

export const resnetKind: ModelKind<ResnetConfig, ResnetParams, ResnetConfigInput> = {
  ...resnetCheckpoint,
  kind: 'resnet',
  init: (cfg, o) => resnet.init(cfg, o),
  apply: (cfg, params, images) => resnet.apply(cfg, params, images),
  // per conv: its im2col windows (k²·Cin per output pixel), output, GroupNorm and ReLU results (~4 Cout)
  activationsPerImage: (c) => {
    const s = c.imageSize;
    const conv = (cin: number, cout: number, k: number, side: number) => (k * k * cin + 4 * cout) * side * side;
    const stage = (cin: number, cout: number, side: number) => conv(cin, cout, 3, side) + conv(cout, cout, 3, side) + (c.blocks - 1) * 2 * conv(cout, cout, 3, side);
    const [w1, w2, w3] = [c.width, 2 * c.width, 4 * c.width];
    return conv(c.channels, w1, 3, s) + c.blocks * 2 * conv(w1, w1, 3, s) + stage(w1, w2, Math.ceil(s / 2)) + conv(w1, w2, 1, Math.ceil(s / 2)) + stage(w2, w3, Math.ceil(s / 4)) + conv(w2, w3, 1, Math.ceil(s / 4));
  },
};

export const modelKinds: Record<ModelName, SomeModelKind> = { vit: vitKind, resnet: resnetKind };
