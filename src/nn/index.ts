export * from './init.js';
export * from './linear.js';
export * from './layer-norm.js';
export * from './attention.js';
export * from './mlp.js';
export * from './conv.js';
