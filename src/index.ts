// Public entry point of shaped-vit.
export * from './dsl/shape-types.js';
export * from './dsl/shape-rules.js';
export * from './dsl/index.js';
export * from './nn/index.js';
export { vit } from './vit/index.js';
export type * from './vit/index.js';
export * as optim from './train/optim.js';
export * as schedule from './train/schedule.js';
export { trainStep, evalStep, initTrainState, type TrainState, type Batch, type StepMetrics } from './train/step.js';
export { saveModel, loadModel } from './vit/checkpoint.js';
