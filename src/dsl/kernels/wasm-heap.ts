// The one WebAssembly memory every webasm kernel works in (GEMM, elementwise groups, reductions,
// rows, and gpu.js's own kernels: webasm-heap-kernels.ts): a kernel copies its operands in, runs,
// and slices its result out. Evaluations are serialized and a kernel runs synchronously once
// compiled, so kernels never overlap in it.
import type { Storage, WebasmBackend } from '../backend.js';

// lib es2023 and @types/node 20 declare no WebAssembly (lib.dom does); the part used here:
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ readonly instance: Instance }>;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => Instance;
};
interface Instance {
  readonly exports: Record<string, unknown>;
}

type Memory = InstanceType<typeof WebAssembly.Memory>;
// Made on first use, and only one: each memory reserves ~10 GiB of address space on 64-bit V8,
// so two at import time kept the CLI from starting under `prlimit --as=16G`.
let memory: Memory | null = null;

/** The one memory (webasm-gemm.ts computes in it too, when it runs on this thread). */
export function wasmMemory(): Memory {
  memory ??= new WebAssembly.Memory({ initial: 1 });
  return memory;
}
// compiled asynchronously, as browsers require on their main thread for all but tiny modules
const compiled = new Map<string, Promise<unknown>>();

/** The function `name` exported by the module `emit()` builds, compiled once per key. */
export function compiledKernel<F>(key: string, emit: () => Uint8Array, name: string): Promise<F> {
  let instance = compiled.get(key);
  if (!instance) {
    instance = WebAssembly.instantiate(emit(), { env: { memory: wasmMemory() } }).then((r) => r.instance.exports[name]);
    compiled.set(key, instance);
  }
  return instance as Promise<F>;
}

/** The heap grown to at least `pages` pages. */
function heapOfPages(pages: number): Memory {
  const m = wasmMemory();
  const have = m.buffer.byteLength / 65536;
  if (pages > have) m.grow(pages - have);
  return m;
}

/**
 * A module compiled now and instantiated on the heap (grown to the `pages` it declares): for
 * modules built elsewhere that run synchronously on first call (gpu.js's kernels).
 */
export function instantiateOnHeap(bytes: Uint8Array, pages: number, imports: Record<string, unknown>): Instance {
  const memory = heapOfPages(pages);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { ...imports, memory } });
}

let views: { readonly f32: Float32Array; readonly i32: Int32Array } | null = null;

/** The heap as floats and as ints, views made again after it grows. */
export function heapViews(): { readonly f32: Float32Array; readonly i32: Int32Array } {
  const buffer = wasmMemory().buffer;
  if (views?.f32.buffer !== buffer) views = { f32: new Float32Array(buffer), i32: new Int32Array(buffer) };
  return views;
}

/**
 * Byte offsets for arrays of the given lengths, 16-byte aligned with 16 spare bytes after each
 * (vector loops may read or write one partial vector past an array's end), and the heap as floats,
 * grown to hold them all.
 */
export function heapLayout(lengths: readonly number[]): { readonly at: number[]; readonly heap: Float32Array } {
  const at: number[] = [];
  let end = 0;
  for (const n of lengths) {
    at.push(end);
    end += Math.ceil(n / 4) * 16 + 16;
  }
  heapOfPages(Math.ceil(end / 65536));
  return { at, heap: heapViews().f32 };
}

/** `length` floats of the heap from byte `at` as `backend`'s storage (a copy, into a reused array where one is free). */
export function heapResult(backend: WebasmBackend, heap: Float32Array, at: number, length: number): Storage {
  const out = backend.allocate(length);
  out.set(heap.subarray(at / 4, at / 4 + length));
  return backend.adopt(out);
}
