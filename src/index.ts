// Public entry point of shaped-vit.
export * from './dsl/shape-types.js';
export * from './dsl/shape-rules.js';
export * from './dsl/index.js';
export * from './nn/index.js';
export { vit } from './vit/index.js';
export type * from './vit/index.js';
