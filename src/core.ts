// The platform-neutral library (Node and browsers): tensors, ops, autodiff, nn, the ViT, optimizers,
// schedules and the training step. Nothing reachable from here imports a `node:` module.
export * from './dsl/shape-types.js';
export * from './dsl/shape-rules.js';
export * from './vit/shape.js';
export * from './dsl/shape-error.js';
export * from './dsl/index.js';
export * from './nn/index.js';
export { vit } from './vit/index.js';
export type * from './vit/index.js';
export { resnet, ResnetConfigError } from './resnet/index.js';
export type * from './resnet/index.js';
export * as optim from './train/optim.js';
export { applyUpdates, type LearningRate, type Optimizer } from './train/optim.js';
export * as schedule from './train/schedule.js';
export { presets, presetNames, recipeConfig, recipeOptimizer, recipeSchedule, type Recipe, type PresetName } from './train/presets.js';
export { trainStep, evalStep, initTrainState, type TrainState, type Batch, type StepMetrics } from './train/step.js';
export { ConfigError } from './vit/config.js';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError } from './vit/checkpoint.js';
export { encodeSafetensors, decodeSafetensors, inspectSafetensors, SafetensorsError } from './io/safetensors.js';
