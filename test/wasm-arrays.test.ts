// webasm's storage in the thread team's shared memory (src/dsl/kernels/wasm-arrays.ts): blocks by
// size class, reused when given back or when their view is garbage-collected, views that stay valid
// as the memory grows, the GEMM and the one-thread kernels reading and writing them in place, and
// a reader's values that later kernels never overwrite.
import test from 'ava';
import * as sv from '../src/index.js';
import { blockBytes, heapArrays } from '../src/dsl/kernels/wasm-arrays.js';
import { gemm, type EpilogueCode } from '../src/dsl/kernels/webasm-gemm.js';
import { matmulPlan } from '../src/dsl/ops/matmul.js';
import type { Tensor } from '../src/index.js';
import { backendsUnderTest } from './support/backends.js';

const arrays = heapArrays();
const withTeam = arrays ? test.serial : test.serial.skip;
const onWebasm = arrays && backendsUnderTest.includes('webasm') ? test.serial : test.serial.skip;

test('a block holds its floats and 16 spare bytes, 16-byte aligned, at most an eighth more than that', (t) => {
  for (const length of [0, 1, 3, 4, 5, 63, 64, 65, 1000, 4097, 123_457, 6_306_442]) {
    const bytes = blockBytes(length);
    const least = Math.ceil(length / 4) * 16 + 16;
    t.is(bytes % 16, 0, `length ${length}`);
    t.true(bytes >= least && bytes <= least * 1.125, `length ${length}: ${bytes} bytes`);
  }
});

withTeam('blocks do not overlap, a given-back block is reused for its size class, and views survive growth', (t) => {
  const heap = arrays!;
  const a = heap.take(1000)!;
  const b = heap.take(1000)!;
  t.true(heap.owns(a) && heap.owns(b) && heap.owns(a.subarray(3)));
  t.false(heap.owns(new Float32Array(4)));
  t.true(b.byteOffset >= a.byteOffset + blockBytes(1000) || a.byteOffset >= b.byteOffset + blockBytes(1000));
  a.fill(1);
  b.fill(2);
  // 64 MiB more: the memory grows, and the views made before still read and write it
  const big = heap.take(16 << 20)!;
  big.fill(3);
  t.true(a.every((v) => v === 1) && b.every((v) => v === 2));
  a[999] = 7;
  t.is(new Float32Array(big.buffer, a.byteOffset, 1000)[999], 7);
  const at = a.byteOffset;
  heap.give(a);
  // the same size class (990 floats rounds like 1000), not another
  const again = heap.take(990)!;
  t.is(again.byteOffset, at);
  t.throws(() => heap.give(a), { message: /given back twice/ });
  for (const view of [b, big, again]) heap.give(view);
});

withTeam('a block whose view is garbage-collected is reused', async (t) => {
  const heap = arrays!;
  const length = 77_777;
  let at = heap.take(length)!.byteOffset;
  for (let round = 0; round < 50; round++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const view = heap.take(length)!;
    const reused = view.byteOffset === at;
    heap.give(view);
    if (reused) return t.pass();
    at = view.byteOffset;
  }
  t.fail('no dropped block came back after 50 collections');
});

withTeam('the GEMM in place (operands and product blocks of the memory) equals it through copies, with an epilogue', async (t) => {
  const heap = arrays!;
  const [m, k, n] = [37, 70, 45];
  const out = { size: m * n } as Tensor;
  const p = matmulPlan(out, { m, k, n, transposeA: false, transposeB: true, batchedB: false });
  const values = (length: number, seed: number) => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + seed));
  const [a, b, bias] = [values(m * k, 1), values(n * k, 2), values(n, 3)];
  const addBias: EpilogueCode = { key: 'bias', access: ['column'], value: (s, c, [v]) => s.add(c, v) };
  const copied = await gemm(p, a, b, new Float32Array(m * n), addBias, [bias]);
  const inMemory = (x: Float32Array) => {
    const block = heap.take(x.length)!;
    block.set(x);
    return block;
  };
  // every mix of operands in place and elsewhere
  for (let mask = 0; mask < 16; mask++) {
    const pick = (x: Float32Array, bit: number) => (mask & (1 << bit) ? inMemory(x) : x);
    const product = mask & 8 ? heap.take(m * n)! : new Float32Array(m * n);
    const got = await gemm(p, pick(a, 0), pick(b, 1), product, addBias, [pick(bias, 2)]);
    t.is(got, product);
    t.deepEqual(Array.from(got), Array.from(copied), `mask ${mask}`);
  }
});

onWebasm('values a reader got are a copy: kernels that later reuse the block leave them as they were', async (t) => {
  sv.setBackend('webasm');
  const x = sv.tensor([[1, 2, 3], [4, 5, 6]]);
  const y = sv.mulScalar(x, 2);
  const read = await y.data();
  y.dispose();
  // many results of y's size: the block y had is reused by one of them
  for (let k = 0; k < 20; k++) {
    const z = sv.addScalar(x, 100 + k);
    await z.data();
    z.dispose();
  }
  t.deepEqual(Array.from(read), [2, 4, 6, 8, 10, 12]);
  x.dispose();
});
