// The ResNet, as a namespace: resnet.config, resnet.init, resnet.apply, like vit.
import { config, describeConfig, parameterCountOf, torchConfig } from './config.js';
import { apply, features } from './model.js';
import { expectedShapes, fromStateDict, init, stateDict } from './params.js';

export type { ResnetConfig, ResnetConfigInput, ResnetDims, CheckResnetConfig } from './config.js';
export { ResnetConfigError } from './config.js';
export type { ResnetParams, BasicBlock, DownBlock, DownStage } from './params.js';
export type { ResnetImages } from './model.js';

/** A CIFAR-sized default: ResNet-8, width 16 (stages 16, 32, 64), GroupNorm with 4 groups. */
export const smallConfig = { imageSize: 32, channels: 3, classes: 10, width: 16, blocks: 1, normGroups: 4 } as const;

export const resnet = { config, init, apply, features, stateDict, fromStateDict, expectedShapes, parameterCount: parameterCountOf, describeConfig, torchConfig, smallConfig };
