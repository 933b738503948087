// How webasm's own one-thread kernels (elementwise groups, row statistics) run: `run(out, ...args)`
// over byte pointers. With a thread team, in its memory and in place, since webasm's storage lives
// there (wasm-arrays.ts): the arguments where they are, the result into a block of it. Without one,
// or when that memory is full (it grows to 2 GiB at most), in the heap (wasm-heap.ts): the arguments
// copied in and the result out.
import type { Storage, WebasmBackend } from '../backend.js';
import { moduleBytes, type FunctionBody } from './wasm-emit.js';
import { compiledKernel, heapLayout } from './wasm-heap.js';
import { heapArrays } from './wasm-arrays.js';
import { maxPages, threadTeam } from './wasm-threads.js';

type Run = (...pointers: number[]) => void;

/** Runs the kernel `key` (its function emitted by `emit` on a miss) over the arguments' storage; the result is `length` floats. */
export async function runKernel(key: string, emit: () => FunctionBody, backend: WebasmBackend, args: readonly Storage[], length: number): Promise<Storage> {
  const arrays = heapArrays();
  const team = threadTeam();
  const out = backend.allocate(length);
  const values = args.map((a) => backend.values(a));
  // in place where the team's memory holds (or can take) the arrays, else copied through the heap
  const placed = arrays?.place([out, ...values], [false, ...values.map(() => true)]);
  if (!team || !placed) {
    const run = await compiledKernel<Run>(key, () => moduleBytes(emit(), 'run'), 'run');
    const { at, heap } = heapLayout([length, ...values.map((v) => v.length)]);
    values.forEach((v, k) => heap.set(v, at[k + 1] / 4));
    run(...at);
    out.set(heap.subarray(at[0] / 4, at[0] / 4 + length));
    return backend.adopt(out);
  }
  try {
    const [o, ...xs] = placed.views;
    // one chunk: it runs on this thread, compiled once per key by the team
    await team.run([{ key, emit: () => moduleBytes(emit(), 'run', maxPages) }], () => [o.byteOffset, ...xs.map((x) => x.byteOffset)]);
    if (o !== out) out.set(o);
    return backend.adopt(out);
  } finally {
    placed.release();
  }
}
