// Thread bound for the webasm backend. gpu.js gives every WebAssembly kernel its own worker pool of
// one thread per core, so a model with a hundred kernels held ~175 threads and their memory. One
// pool, shared by every kernel (its entry ids are unique across kernels), keeps the threads at the
// core count. Used on Node (see backend.ts).

/** Makes every kernel of `kernelClass` (gpu.js WebAssemblyKernel) use the first pool one creates. */
export function shareWebAssemblyPool(kernelClass: { prototype: object } | undefined): void {
  if (!kernelClass?.prototype || Object.getOwnPropertyDescriptor(kernelClass.prototype, '_pool')) return;
  let shared: { destroy(): void } | null = null;
  Object.defineProperty(kernelClass.prototype, '_pool', {
    configurable: true,
    get: () => shared,
    // a kernel assigns its pool when it first runs threaded, and null when destroyed: the first
    // pool becomes the shared one, which no single kernel may destroy
    set(pool: { destroy(): void } | null) {
      if (pool && !shared) {
        shared = pool;
        pool.destroy = () => undefined;
      }
    },
  });
}

/**
 * Destroys a webasm kernel and drops its modules from the shared pool's workers: a kernel's own
 * destroy skips that (it expected to terminate its private pool), and the workers' instances would
 * keep its WebAssembly memory alive, which a browser page runs out of after ~120.
 */
export function destroyWebAssemblyKernel(kernel: { kernel?: { _pool?: { release(id: number): void } | null; _moduleCache?: Map<unknown, { id: number }> }; destroy(): void }): void {
  const inner = kernel.kernel;
  if (inner?._pool && inner._moduleCache) for (const entry of inner._moduleCache.values()) inner._pool.release(entry.id);
  kernel.destroy();
}
