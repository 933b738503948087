// A whole ViT training step recorded as one gpu.js pipeline (executor 'pipeline'): on WebGPU one
// queue submission (fused-encoder), equal to the eager step. A pipeline's results are host values:
// here they meet eager vec4 kernels already compiled for device buffers (by the first test), which
// took a host array for a buffer "from a different WebGPU device" until runPacked uploaded them.
import { eachBackend } from './support/backends.js';
import { checkVitSteps } from './support/vit-steps.js';

eachBackend('the ViT trainStep (jitted, executor auto) equals jit: false over 3 steps, and evalStep too', (t) => checkVitSteps(t, 0, 'auto'));
eachBackend('the ViT trainStep recorded as one pipeline equals jit: false over 3 steps, and evalStep too', (t) => checkVitSteps(t, 0, 'pipeline'));
