// A whole ViT training step recorded as one gpu.js pipeline (executor 'pipeline'): on WebGPU one
// queue submission (fused-encoder), equal to the eager step. Its own file, so its own process: run
// after the webgpu tests of jit.test.ts in one process, an eager kernel got a buffer "from a
// different WebGPU device" (not reproduced outside ava; see the issue notes).
import { eachBackend } from './support/backends.js';
import { checkVitSteps } from './support/vit-steps.js';

eachBackend('the ViT trainStep recorded as one pipeline equals jit: false over 3 steps, and evalStep too', (t) => checkVitSteps(t, 0, 'pipeline'));
