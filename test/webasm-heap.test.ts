// gpu.js's WebAssembly kernels compute in our one heap (src/dsl/webasm-heap-kernels.ts): no memory
// of their own, right results after the heap grows under them, after their module cache evicts, and
// next to our own kernels; a kernel with constant arrays keeps a memory of its own.
import test from 'ava';
import gpujs from 'gpu.js';
import { computeInHeap } from '../src/dsl/webasm-heap-kernels.js';
import { heapLayout, wasmMemory } from '../src/dsl/kernels/wasm-heap.js';
import { FunctionBody, moduleBytes, withOpenMemoryImport } from '../src/dsl/kernels/wasm-emit.js';

const { GPU, WebAssemblyKernel } = gpujs as unknown as { GPU: new (settings: object) => any; WebAssemblyKernel: { prototype: object } };
computeInHeap(WebAssemblyKernel);
const gpu = new GPU({ mode: 'webasm' });

/** How many WebAssembly memories `body` makes, and what it returns. */
function memoriesMadeBy<T>(body: () => T): { made: number; result: T } {
  const Memory = WebAssembly.Memory;
  let made = 0;
  const counting = function (descriptor: WebAssembly.MemoryDescriptor) {
    made++;
    return new Memory(descriptor);
  };
  WebAssembly.Memory = Object.assign(counting, { prototype: Memory.prototype }) as unknown as typeof WebAssembly.Memory;
  try {
    const result = body();
    return { made, result };
  } finally {
    WebAssembly.Memory = Memory;
  }
}

const ramp = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => (i % 97) * k - 3);

test.serial('kernels of every size compute in the heap: no memory made, right after the heap grows and after evictions', (t) => {
  const kernel = gpu.createKernel(
    function (this: { thread: { x: number } }, a: number[], b: number[]) {
      return Math.exp(a[this.thread.x] * 0.01) + b[this.thread.x] * 2;
    },
    { output: [1], dynamicOutput: true, dynamicArguments: true, precision: 'single' },
  );
  const check = (n: number) => {
    const a = ramp(n, 1);
    const b = ramp(n, -0.5);
    kernel.setOutput([n]);
    const got = kernel(a, b) as Float32Array;
    t.is(got.length, n);
    for (let i = 0; i < n; i += Math.max(1, n >> 6)) t.true(Math.abs(got[i] - (Math.exp(a[i] * 0.01) + b[i] * 2)) < 1e-4, `n ${n}, index ${i}`);
  };
  wasmMemory();
  const { made } = memoriesMadeBy(() => {
    check(37);
    // our own kernels grow the heap (its buffer is replaced): the kernel's views follow
    const before = wasmMemory().buffer.byteLength;
    heapLayout([before]);
    t.true(wasmMemory().buffer.byteLength > before);
    check(37);
    // more sizes than a kernel keeps modules for (8): the oldest are evicted, then made again
    for (let n = 1; n <= 12; n++) check(n * 101);
    check(37);
  });
  t.is(made, 0);
});

test.serial('a kernel with constant arrays keeps a memory of its own (other kernels would overwrite them)', (t) => {
  const table = ramp(16, 2);
  const kernel = gpu.createKernel(
    function (this: { thread: { x: number }; constants: { table: number[] } }, a: number[]) {
      return a[this.thread.x] + this.constants.table[this.thread.x];
    },
    { output: [16], constants: { table }, precision: 'single' },
  );
  const a = ramp(16, 1);
  const { made, result } = memoriesMadeBy(() => kernel(a) as Float32Array);
  t.is(made, 1);
  t.deepEqual([...result], [...a].map((v, i) => Math.fround(v + table[i])));
});

test('withOpenMemoryImport: the module links to a memory without a maximum; only the import changes', (t) => {
  const body = new FunctionBody(0);
  const shared = moduleBytes(body, 'run', 64);
  t.throws(() => new WebAssembly.Instance(new WebAssembly.Module(shared), { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }));
  const open = withOpenMemoryImport(shared, 3);
  t.true(WebAssembly.validate(open));
  t.is(open.length, shared.length - 1); // limits 03 01 40 (shared, 1 to 64 pages) -> 00 03 (3 pages up)
  const small = new WebAssembly.Memory({ initial: 2 });
  t.throws(() => new WebAssembly.Instance(new WebAssembly.Module(open), { env: { memory: small } }), { message: /memory import/ });
  t.notThrows(() => new WebAssembly.Instance(new WebAssembly.Module(open), { env: { memory: new WebAssembly.Memory({ initial: 3 }) } }));
});
