// The per-record training/eval transform, shared by the loader's worker
// threads and its in-thread mode so both give identical batches:
// RandomCrop(32, padding=4) -> RandomHorizontalFlip -> CIFAR10Policy ->
// ToTensor -> Normalize, each record drawing from its own (seed, epoch, index)
// stream.

import { fromCHW, horizontalFlip, normalizeCHWRecord, randomCrop, toNormalizedCHW } from './augment.js';
import { cifar10Policy } from './autoaugment.js';
import { CIFAR_IMAGE_BYTES } from './cifar.js';
import { streamRng } from './rng.js';

export type AugmentKind = 'none' | 'flip-crop' | 'autoaugment';

export const AUGMENT_KINDS: readonly AugmentKind[] = ['none', 'flip-crop', 'autoaugment'];

export interface BatchJob {
  augment: AugmentKind;
  seed: number;
  epoch: number;
}

/**
 * Writes the normalized CHW floats of records `indices` (into `images`, CHW
 * uint8 records of 3072 bytes) to `out`, one 3072-float slot per index.
 */
export function buildBatch(images: Uint8Array, indices: Int32Array, job: BatchJob, out: Float32Array): Float32Array {
  if (out.length < indices.length * CIFAR_IMAGE_BYTES) throw new RangeError('buildBatch: output too small');
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (job.augment === 'none') {
      normalizeCHWRecord(images, index * CIFAR_IMAGE_BYTES, out, k * CIFAR_IMAGE_BYTES);
      continue;
    }
    const rng = streamRng(job.seed, job.epoch, index);
    let img = fromCHW(images, index * CIFAR_IMAGE_BYTES);
    img = randomCrop(img, rng, 4);
    img = horizontalFlip(img, rng, 0.5);
    if (job.augment === 'autoaugment') img = cifar10Policy(img, rng);
    toNormalizedCHW(img, out, k * CIFAR_IMAGE_BYTES);
  }
  return out;
}
