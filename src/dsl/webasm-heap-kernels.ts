// gpu.js's WebAssembly kernels (the DSL's kernels without a webasm kernel of our own: losses,
// argmax, scalar schedules, user primitives) compute in our one heap instead of a memory each. Every
// WebAssembly memory reserves ~10 GiB of address space on 64-bit V8 (guard regions, whatever its
// size; no V8 flag set at run time avoids it), so with a memory per kernel the CLI could not start
// under `prlimit --as=16G`. A kernel lays out `[ args | constants | output ]` from offset 0 and
// writes its arguments in, runs and copies its output out within one synchronous call, as ours do.
// Kept as gpu.js makes them: kernels with constant arrays (written once, which other kernels would
// overwrite; the DSL makes none) and threaded runs (a shared memory that gpu.js's workers import).
import { withOpenMemoryImport } from './kernels/wasm-emit.js';
import { heapViews, instantiateOnHeap, wasmMemory } from './kernels/wasm-heap.js';

/** The part of gpu.js's WebAssemblyKernel (2.24) this relies on. */
interface WasmKernel {
  threadDim: [number, number, number];
  usedMathImports: Set<string>;
  moduleCacheLimit: number;
  _moduleCache: Map<string, object>;
  _active: object | null;
  _threadable(): boolean;
  computeLayout(args: unknown[]): { readonly constantArrays: Record<string, unknown> };
  _assembleModule(layout: object, cells: number, shared: boolean): { bytes: Uint8Array<ArrayBuffer>; initial: number };
  _releaseEntry(entry: object): void;
  _instantiate(key: string, args: unknown[]): void;
}

/** A module-cache entry whose memory is the heap: its views follow the heap as it grows. */
class HeapEntry {
  readonly id = 0; // the workers' caches key on ids; a heap entry never reaches the workers
  readonly shared = false;
  memory: unknown = wasmMemory();

  constructor(
    readonly sizeSignature: string,
    readonly layout: object,
    readonly cells: number,
    readonly sizeX: number,
    // gpu.js releases an evicted or destroyed entry by assigning null to each field
    public instance: { readonly exports: Record<string, unknown> } | null,
  ) {}

  get run(): unknown {
    return this.instance?.exports.run ?? null;
  }
  set run(_: unknown) {}
  get runSimd(): unknown {
    return this.instance?.exports.run_simd ?? null;
  }
  set runSimd(_: unknown) {}
  get f32(): Float32Array | null {
    return this.instance ? heapViews().f32 : null;
  }
  set f32(_: unknown) {}
  get i32(): Int32Array | null {
    return this.instance ? heapViews().i32 : null;
  }
  set i32(_: unknown) {}
}

const patched = new WeakSet<object>();

/** Makes every kernel of `kernelClass` (gpu.js WebAssemblyKernel) that can compute in the heap do so. */
export function computeInHeap(kernelClass: { prototype: object } | undefined): void {
  const proto = kernelClass?.prototype as WasmKernel | undefined;
  if (!proto || typeof proto._instantiate !== 'function' || patched.has(proto)) return;
  patched.add(proto);
  const ownMemory = proto._instantiate;
  // the heap first: where address space is limited it is the one memory that fits, and gpu.js's
  // probe for threads (a shared memory) then fails, so no kernel of it asks for one
  wasmMemory();
  proto._instantiate = function (this: WasmKernel, key: string, args: unknown[]) {
    if (this._moduleCache.has(key) || this._threadable()) return ownMemory.call(this, key, args);
    const layout = this.computeLayout(args);
    if (Object.keys(layout.constantArrays).length > 0) return ownMemory.call(this, key, args);
    const [x, y, z] = this.threadDim;
    const { bytes, initial } = this._assembleModule(layout, x * y * z, false);
    const math = Object.fromEntries([...this.usedMathImports].map((name) => [`math_${name}`, Math[name as keyof Math]]));
    const entry = new HeapEntry(key, layout, x * y * z, x, instantiateOnHeap(withOpenMemoryImport(bytes, initial), initial, math));
    this._moduleCache.set(key, entry);
    // gpu.js's bound on the entries a kernel keeps, oldest first
    for (const [oldKey, old] of this._moduleCache) {
      if (this._moduleCache.size <= Math.max(this.moduleCacheLimit, 1)) break;
      this._moduleCache.delete(oldKey);
      this._releaseEntry(old);
    }
    this._active = entry;
  };
}
