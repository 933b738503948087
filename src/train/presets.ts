// Training recipes: every knob a run depends on, the named presets, and how a recipe becomes a
// model config, an optimizer and a schedule. A recipe is stored in each checkpoint so --resume
// restores the run; parseRecipe reads one back without trusting it.
import { sequenceS, sequenceT } from 'fp-ts/lib/Apply.js';
import * as O from 'fp-ts/lib/Option.js';
import { isJsonObject } from '../io/validation.js';
import { resnet } from '../resnet/index.js';
import { vit, vitPools, type VitConfig, type VitPool } from '../vit/index.js';
import { modelKinds, modelNames, type ImageModelConfig, type ModelName, type SomeModelKind } from './models.js';
import { adam, adamw, sgd, type Transform } from './optim.js';
import { cifarVitSchedule, cosineAnnealing, type Schedule } from './schedule.js';

export const optimizerNames = ['adam', 'adamw', 'sgd'] as const;
export const augmentNames = ['none', 'flip-crop', 'autoaugment'] as const;
export const presetNames = ['seed', 'quick', 'resnet'] as const;
export type PresetName = (typeof presetNames)[number];

/** Every recipe knob a preset sets. The model's knobs of the other kind are kept but unused. */
export interface Recipe {
  model: ModelName;
  /** ResNet: first stage width (stages W, 2W, 4W) and basic blocks per stage */
  width: number;
  blocks: number;
  /** ViT */
  patchSize: number;
  embedDim: number;
  heads: number;
  mlpDim: number;
  layers: number;
  dropout: number;
  /** what the classifier reads: the class token, or the mean of all tokens */
  pool: VitPool;
  batchSize: number;
  epochs: number;
  lr: number;
  betas: [number, number];
  weightDecay: number;
  optimizer: (typeof optimizerNames)[number];
  momentum: number;
  labelSmoothing: number;
  warmupEpochs: number;
  etaMin: number;
  augment: (typeof augmentNames)[number];
  seed: number;
  limitTrain: number | undefined;
  /** validation records (the first N of the test split); it decides which checkpoint is best */
  limitTest: number | undefined;
}

export const presets: Record<PresetName, Recipe> = {
  seed: {
    model: 'vit', width: 8, blocks: 1,
    patchSize: 8, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, dropout: 0, pool: 'token',
    batchSize: 128, epochs: 250, lr: 1e-3, betas: [0.9, 0.999], weightDecay: 5e-5, optimizer: 'adam', momentum: 0,
    labelSmoothing: 0.1, warmupEpochs: 10, etaMin: 1e-5, augment: 'autoaugment', seed: 0, limitTrain: undefined, limitTest: undefined,
  },
  // sized for a 2-core CPU (README "Results"; the recipe search that chose it: docs/recipes.md)
  quick: {
    model: 'vit', width: 8, blocks: 1,
    patchSize: 8, embedDim: 64, heads: 4, mlpDim: 128, layers: 3, dropout: 0, pool: 'mean',
    batchSize: 128, epochs: 40, lr: 3e-3, betas: [0.9, 0.999], weightDecay: 0.05, optimizer: 'adamw', momentum: 0,
    labelSmoothing: 0.1, warmupEpochs: 0, etaMin: 1e-5, augment: 'flip-crop', seed: 0, limitTrain: undefined, limitTest: undefined,
  },
  // a ResNet-8 with GroupNorm (width 8) on 10,000 training images, sized for a 2-core CPU (README "A ResNet")
  resnet: {
    model: 'resnet', width: 8, blocks: 1,
    patchSize: 8, embedDim: 64, heads: 4, mlpDim: 128, layers: 2, dropout: 0, pool: 'token',
    batchSize: 128, epochs: 4, lr: 3e-3, betas: [0.9, 0.999], weightDecay: 5e-4, optimizer: 'adamw', momentum: 0,
    labelSmoothing: 0, warmupEpochs: 0, etaMin: 1e-5, augment: 'flip-crop', seed: 0, limitTrain: 10000, limitTest: 2000,
  },
};

/** The recipe knobs of each model kind (a flag of the other kind is refused). */
export const modelKnobs: Record<ModelName, readonly (keyof Recipe)[]> = { vit: ['patchSize', 'embedDim', 'heads', 'mlpDim', 'layers', 'dropout', 'pool'], resnet: ['width', 'blocks'] };

/** GroupNorm groups of the ResNet a recipe trains (width must be a multiple). */
export const RESNET_NORM_GROUPS = 4;

/** The model kind and config a recipe trains; throws the shape rules' message. */
export function recipeModel(r: Recipe): { kind: SomeModelKind; cfg: ImageModelConfig } {
  if (r.model === 'resnet') return { kind: modelKinds.resnet, cfg: resnet.config({ imageSize: 32, channels: 3, classes: 10, width: r.width, blocks: r.blocks, normGroups: RESNET_NORM_GROUPS }) };
  return { kind: modelKinds.vit, cfg: recipeConfig(r) };
}

/** The CIFAR-10 (32x32x3, 10 classes) ViT a recipe's ViT knobs describe; throws the shape rules' message. */
export function recipeConfig(r: Recipe): VitConfig {
  return vit.config({ imageSize: 32, patchSize: r.patchSize, channels: 3, embedDim: r.embedDim, heads: r.heads, mlpDim: r.mlpDim, layers: r.layers, classes: 10, dropout: r.dropout, pool: r.pool });
}

export function recipeOptimizer(r: Recipe): Transform<unknown> {
  if (r.optimizer === 'adam') return adam({ betas: r.betas, weightDecay: r.weightDecay });
  if (r.optimizer === 'adamw') return adamw({ betas: r.betas, weightDecay: r.weightDecay });
  return sgd({ momentum: r.momentum, weightDecay: r.weightDecay });
}

export function recipeSchedule(r: Recipe): Schedule {
  return r.warmupEpochs > 0
    ? cifarVitSchedule({ epochs: r.epochs, warmupEpochs: r.warmupEpochs, lr: r.lr, minLr: r.etaMin })
    : cosineAnnealing({ baseLr: r.lr, tMax: r.epochs, etaMin: r.etaMin });
}

// recipes stored before the model kinds existed are ViT recipes; before the pool knob, the class token's
const beforeModelKinds: Partial<Recipe> = { model: 'vit', width: presets.seed.width, blocks: presets.seed.blocks, pool: 'token' };
const allPresent = sequenceS(O.Apply);
const finite = (v: unknown): O.Option<number> => (typeof v === 'number' && Number.isFinite(v) ? O.some(v) : O.none);
const oneOf = <T extends string>(names: readonly T[], v: unknown): O.Option<T> => O.fromNullable(names.find((name) => name === v));
const numberPair = (v: unknown): O.Option<[number, number]> => (Array.isArray(v) && v.length === 2 ? sequenceT(O.Apply)(finite(v[0]), finite(v[1])) : O.none);
// absent (no limit) or a positive count
const optionalCount = (v: unknown): O.Option<number | undefined> => (v === undefined ? O.some(undefined) : typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? O.some(v) : O.none);

/** A recipe stored in a checkpoint, built field by field from checked values; null when it is not one. */
export function parseRecipe(text: string): Recipe | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isJsonObject(raw) || Object.keys(raw).some((key) => !Object.hasOwn(presets.seed, key))) return null;
  const stored = (key: keyof Recipe): unknown => (Object.hasOwn(raw, key) ? raw[key] : beforeModelKinds[key]);
  const num = (key: keyof Recipe) => finite(stored(key));
  const recipe = allPresent({
    model: oneOf(modelNames, stored('model')),
    width: num('width'),
    blocks: num('blocks'),
    patchSize: num('patchSize'),
    embedDim: num('embedDim'),
    heads: num('heads'),
    mlpDim: num('mlpDim'),
    layers: num('layers'),
    dropout: num('dropout'),
    pool: oneOf(vitPools, stored('pool')),
    batchSize: num('batchSize'),
    epochs: num('epochs'),
    lr: num('lr'),
    betas: numberPair(stored('betas')),
    weightDecay: num('weightDecay'),
    optimizer: oneOf(optimizerNames, stored('optimizer')),
    momentum: num('momentum'),
    labelSmoothing: num('labelSmoothing'),
    warmupEpochs: num('warmupEpochs'),
    etaMin: num('etaMin'),
    augment: oneOf(augmentNames, stored('augment')),
    seed: num('seed'),
    limitTrain: optionalCount(stored('limitTrain')),
    limitTest: optionalCount(stored('limitTest')),
  });
  return O.toNullable(recipe);
}
