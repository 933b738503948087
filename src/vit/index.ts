// The Vision Transformer, as a namespace: vit.config, vit.init, vit.apply, vit.parameterCount.
import { config, seedConfig, torchConfig } from './config.js';
import { patchify } from '../dsl/index.js';
import { apply, applyWithAttention } from './model.js';
import { expectedShapes, fromStateDict, init, parameterCount, stateDict } from './params.js';

export type { VitConfig, VitConfigInput, VitPool } from './config.js';
export { vitPools } from './config.js';
export type { VitParams, EncoderLayer } from './params.js';
export type { ParameterReader } from '../nn/index.js';
export type { ApplyOptions, Images, Sequence } from './model.js';

export const vit = { config, init, apply, applyWithAttention, parameterCount, patchify, seedConfig, torchConfig, stateDict, fromStateDict, expectedShapes };
