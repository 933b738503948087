// webasm: gpu.js's WebAssembly mode (SIMD, worker threads); storage is host memory, a Float32Array:
// a view of the thread team's shared memory where there is a team (kernels of the team then read
// and write it in place: kernels/wasm-arrays.ts), else an array of its own.
import gpujs from 'gpu.js';
import { platform } from '#platform';
import type { WebasmBackend } from '../backend.js';
import { destroyWebAssemblyKernel, shareWebAssemblyPool } from '../webasm-pool.js';
import { computeInHeap } from '../webasm-heap-kernels.js';
import { GPU, gpujsBackend } from './gpujs.js';
import { relaxedSimd } from '../kernels/wasm-features.js';
import { heapArrays } from '../kernels/wasm-arrays.js';

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
    // the caller keeps the values: a copy of a block of the memory (reused once released), else never reused
    async read(storage) {
      const values = await base.read(storage);
      if (pool.shared(values)) return values.slice();
      pool.escape(values);
      return values;
    },
    // host memory already: a copy, no kernel
    upload: async (data) => {
      const values = pool.take(data.length);
      values.set(data);
      return wrap(values, data.length);
    },
    values(storage) {
      if (!(storage.raw instanceof Float32Array)) throw new Error('internal: webasm storage is not a Float32Array');
      return storage.raw;
    },
    adopt: (values) => wrap(values, values.length),
  };
}

/** Bytes of released results kept for reuse, at most (arrays of their own; blocks of the team memory are always reused). */
const poolLimit = 512 * 2 ** 20;

/**
 * Released kernel results kept for the next result of their size: blocks of the team's memory
 * (wasm-arrays.ts), else arrays of their own by length. A fresh 75 MB Float32Array costs ~270 ms
 * of page faults on first write here (a conv's windows), a reused one ~5 ms. Only arrays `take`
 * made are kept, and none that a reader has seen.
 */
function resultPool() {
  const heap = heapArrays();
  const free = new Map<number, Float32Array[]>();
  const ours = new WeakSet<Float32Array>();
  let bytes = 0;
  return {
    take(length: number): Float32Array {
      const block = heap?.take(length);
      if (block) return block;
      const reused = free.get(length)?.pop();
      if (reused) bytes -= length * 4;
      const values = reused ?? new Float32Array(length);
      ours.add(values);
      return values;
    },
    give(values: unknown): void {
      if (!(values instanceof Float32Array)) return;
      if (heap?.owns(values)) return heap.give(values);
      if (!ours.delete(values) || bytes + values.byteLength > poolLimit) return;
      bytes += values.byteLength;
      const list = free.get(values.length) ?? [];
      list.push(values);
      free.set(values.length, list);
    },
    /** Whether `values` is a block of the team memory (reused once released, so a reader gets a copy). */
    shared: (values: Float32Array) => !!heap?.owns(values),
    escape: (values: unknown) => void (values instanceof Float32Array && ours.delete(values)),
  };
}
