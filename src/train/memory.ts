// What training a model takes in memory, estimated before anything is allocated, so a model or
// batch that cannot fit is refused at once (naming the flag to change) instead of after minutes
// of swapping or an out-of-memory crash. Each model kind says what it keeps per image (models.ts).
import { freemem } from 'node:os';
import { invalid, valid, type Validation } from '../io/validation.js';
import type { SomeModelKind } from './models.js';

export interface MemoryEstimate {
  /** bytes of weights, of optimizer state, of activations kept for the backward pass, and their sum */
  readonly params: number;
  readonly optimizer: number;
  readonly activations: number;
  readonly total: number;
}

/** Bytes to train `cfg` at `batchSize` with an optimizer keeping `slots` tensors per parameter (Adam: 2). */
export function estimateTrainingMemory(kind: SomeModelKind, cfg: unknown, batchSize: number, slots: number): MemoryEstimate {
  const params = kind.parameterCount(cfg) * 4;
  const activations = kind.activationsPerImage(cfg) * batchSize * 4;
  // weights, gradients and the optimizer's slots
  const optimizer = params * slots;
  return { params, optimizer, activations, total: 2 * params + optimizer + activations };
}

/** Memory this process may use: what the system has available, within a cgroup's limit if any. */
export function availableMemory(): number {
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return Math.min(freemem(), limit && limit > 0 ? limit : Infinity);
}

export const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e8 ? 3 : 1)} GB`;

/**
 * The estimate for `cfg` at `batchSize` (`slots` as in estimateTrainingMemory), if it fits in
 * `have` bytes; else the problem naming the estimate, its parts and the flags that lower it.
 */
export function fitsInMemory(kind: SomeModelKind, cfg: unknown, batchSize: number, slots: number, have: number): Validation<MemoryEstimate> {
  const need = estimateTrainingMemory(kind, cfg, batchSize, slots);
  if (need.total <= have) return valid(need);
  const lower = need.activations > need.total / 2 ? '--batch-size' : kind.kind === 'resnet' ? '--width or --blocks' : '--embed-dim, --mlp-dim or --layers';
  return invalid(
    `this model at --batch-size ${batchSize} needs an estimated ${gb(need.total)} (weights and gradients ${gb(2 * need.params)}, optimizer state ${gb(need.optimizer)}, activations ${gb(need.activations)}), more than the ${gb(have)} of memory available; lower ${lower}`,
  );
}
