// How webasm's own one-thread kernels (elementwise groups, row statistics) run: `run(out, ...args)`
// over byte pointers. With a thread team, in its memory and in place, since webasm's storage lives
// there (wasm-arrays.ts): the arguments where they are, the result into a block of it. Without one,
// in the heap (wasm-heap.ts): the arguments copied in and the result out.
import type { Storage, WebasmBackend } from '../backend.js';
import { moduleBytes, type FunctionBody } from './wasm-emit.js';
import { compiledKernel, heapLayout, heapResult } from './wasm-heap.js';
import { heapArrays } from './wasm-arrays.js';
import { maxPages, threadTeam } from './wasm-threads.js';

// lib es2023 and @types/node 20 declare no WebAssembly (lib.dom does); the part used here:
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ readonly instance: { readonly exports: Record<string, unknown> } }>;
};

type Run = (...pointers: number[]) => void;

// compiled asynchronously, as browsers require on their main thread for all but tiny modules
const inTeamMemory = new Map<string, Promise<Run>>();

/** Runs the kernel `key` (its function emitted by `emit` on a miss) over the arguments' storage; the result is `length` floats. */
export async function runKernel(key: string, emit: () => FunctionBody, backend: WebasmBackend, args: readonly Storage[], length: number): Promise<Storage> {
  const arrays = heapArrays();
  const team = threadTeam();
  if (!arrays || !team) {
    const run = await compiledKernel<Run>(key, () => moduleBytes(emit(), 'run'), 'run');
    const { at, heap } = heapLayout([length, ...args.map((a) => a.length)]);
    args.forEach((a, k) => heap.set(backend.values(a), at[k + 1] / 4));
    run(...at);
    return heapResult(backend, heap, at[0], length);
  }
  let run = inTeamMemory.get(key);
  if (!run) {
    run = WebAssembly.instantiate(moduleBytes(emit(), 'run', maxPages), { env: { memory: team.memory } }).then((r) => r.instance.exports.run as Run);
    inTeamMemory.set(key, run);
  }
  const ready = await run;
  const copies: Float32Array[] = [];
  // an array elsewhere (a gpu.js kernel's result, a caller's values): through a block, copied
  const inMemory = (values: Float32Array, copyIn: boolean) => {
    if (arrays.owns(values)) return values;
    const block = arrays.take(values.length);
    if (!block) throw new Error(`webasm: the shared WebAssembly memory cannot grow to hold ${values.length} more floats`);
    if (copyIn) block.set(values);
    copies.push(block);
    return block;
  };
  try {
    const xs = args.map((a) => inMemory(backend.values(a), true));
    const out = backend.allocate(length);
    const o = inMemory(out, false);
    ready(o.byteOffset, ...xs.map((x) => x.byteOffset));
    if (o !== out) out.set(o);
    return backend.adopt(out);
  } finally {
    copies.forEach((block) => arrays.give(block));
  }
}
