// webasm: gpu.js's WebAssembly mode (SIMD, worker threads); storage is host memory, a Float32Array
// that gpu.js copies into a kernel's wasm memory per call.
import gpujs from 'gpu.js';
import { platform } from '#platform';
import type { WebasmBackend } from '../backend.js';
import { destroyWebAssemblyKernel, shareWebAssemblyPool } from '../webasm-pool.js';
import { computeInHeap } from '../webasm-heap-kernels.js';
import { GPU, gpujsBackend } from './gpujs.js';
import { relaxedSimd } from '../kernels/wasm-features.js';

export async function createWebasm(): Promise<WebasmBackend | null> {
  if (!GPU.isWebAssemblySupported) return null;
  // in browsers too (a page's workers are threads): evicted kernels release their modules from the
  // shared workers, which are replaced now and then so the page's WebAssembly memories stay bounded
  const kernelClass = (gpujs as { WebAssemblyKernel?: { prototype: object } }).WebAssemblyKernel;
  shareWebAssemblyPool(kernelClass);
  computeInHeap(kernelClass);
  const { base, wrap } = gpujsBackend('webasm', {
    description: `webasm (WebAssembly SIMD${relaxedSimd() ? ' with relaxed madd' : ''}, worker threads)`,
    software: false,
    asyncCalls: true,
    hostMemory: true,
    kernelCache: { limit: platform.wasmMemoryLimit, destroy: destroyWebAssemblyKernel },
  });
  return {
    ...base,
    name: 'webasm',
    // host memory already: a copy, no kernel
    upload: async (data) => wrap(data.slice(), data.length),
    values(storage) {
      if (!(storage.raw instanceof Float32Array)) throw new Error('internal: webasm storage is not a Float32Array');
      return storage.raw;
    },
    adopt: (values) => wrap(values, values.length),
  };
}
