// Thread bound for the webasm backend. gpu.js gives every WebAssembly kernel its own worker pool of
// one thread per core, so a model with a hundred kernels held ~175 threads and their memory. One
// pool, shared by every kernel (its entry ids are unique across kernels), keeps the threads at the
// core count, in Node and in browsers.

interface Pool {
  destroy(): void;
  release(id: number): void;
}

let shared: Pool | null = null;
let destroyShared: (() => void) | null = null;
let releasedSinceRecycle = 0;
// a browser page holds ~120 WebAssembly memories, ~25 beyond the kernels it keeps (platform.ts)
const recycleAfter = 16;

/** Makes every kernel of `kernelClass` (gpu.js WebAssemblyKernel) use the first pool one creates. */
export function shareWebAssemblyPool(kernelClass: { prototype: object } | undefined): void {
  if (!kernelClass?.prototype || Object.getOwnPropertyDescriptor(kernelClass.prototype, '_pool')) return;
  Object.defineProperty(kernelClass.prototype, '_pool', {
    configurable: true,
    get: () => shared,
    // a kernel assigns its pool when it first runs threaded, and null when destroyed: the first
    // pool becomes the shared one, which no single kernel may destroy
    set(pool: Pool | null) {
      if (pool && !shared) {
        shared = pool;
        destroyShared = pool.destroy.bind(pool);
        pool.destroy = () => undefined;
      }
    },
  });
}

/**
 * Destroys a webasm kernel (evicted from a bounded kernel cache) and drops its modules from the
 * shared pool's workers. Their instances keep the kernel's WebAssembly memory alive until the
 * worker collects garbage, which an idle worker rarely does: every `recycleAfter` such modules the
 * workers are replaced (between evaluations; live kernels set up again in the new ones on demand).
 */
export function destroyWebAssemblyKernel(kernel: { kernel?: { _moduleCache?: Map<unknown, { id: number; shared?: boolean }> }; destroy(): void }): void {
  for (const entry of kernel.kernel?._moduleCache?.values() ?? []) {
    if (!shared || !entry.shared) continue;
    shared.release(entry.id);
    releasedSinceRecycle++;
  }
  kernel.destroy();
  if (releasedSinceRecycle >= recycleAfter && destroyShared) {
    destroyShared();
    shared = null;
    destroyShared = null;
    releasedSinceRecycle = 0;
  }
}
