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
  const pool = resultPool();
  return {
    ...base,
    name: 'webasm',
    allocate: pool.take,
    release(storage) {
      base.release(storage);
      if (storage.refs === 0) pool.give(storage.raw);
    },
    // the caller keeps the values: never reused
    read(storage) {
      pool.escape(storage.raw);
      return base.read(storage);
    },
    // host memory already: a copy, no kernel
    upload: async (data) => wrap(data.slice(), data.length),
    values(storage) {
      if (!(storage.raw instanceof Float32Array)) throw new Error('internal: webasm storage is not a Float32Array');
      return storage.raw;
    },
    adopt: (values) => wrap(values, values.length),
  };
}

/** Bytes of released results kept for reuse, at most. */
const poolLimit = 512 * 2 ** 20;

/**
 * Released kernel results kept by length for the next result of that length: a fresh 75 MB
 * Float32Array costs ~270 ms of page faults on first write here (a conv's windows), a reused one
 * ~5 ms. Only arrays `take` made are kept, and none that a reader has seen.
 */
function resultPool() {
  const free = new Map<number, Float32Array[]>();
  const ours = new WeakSet<Float32Array>();
  let bytes = 0;
  return {
    take(length: number): Float32Array {
      const reused = free.get(length)?.pop();
      if (reused) bytes -= length * 4;
      const values = reused ?? new Float32Array(length);
      ours.add(values);
      return values;
    },
    give(values: unknown): void {
      if (!(values instanceof Float32Array) || !ours.delete(values) || bytes + values.byteLength > poolLimit) return;
      bytes += values.byteLength;
      const list = free.get(values.length) ?? [];
      list.push(values);
      free.set(values.length, list);
    },
    escape: (values: unknown) => void (values instanceof Float32Array && ours.delete(values)),
  };
}
