// webasm's storage in the thread team's shared memory (src/dsl/kernels/wasm-arrays.ts): blocks by
// size class, reused when given back or when their view is garbage-collected, views that stay valid
// as the memory grows, the GEMM and the one-thread kernels reading and writing them in place, and
// a reader's values that later kernels never overwrite.
import test from 'ava';
import * as sv from '../src/index.js';
import { blockBytes, heapArrays, HeapArrays } from '../src/dsl/kernels/wasm-arrays.js';
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

test('place: arrays of the memory as they are, others through blocks copied in as asked; none taken when the memory cannot grow', (t) => {
  if (typeof SharedArrayBuffer === 'undefined') return t.pass('no shared memory here');
  // 4 pages (256 KiB) at most
  const heap = new HeapArrays(new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true }));
  const inside = heap.take(100)!;
  inside.fill(5);
  const outside = Float32Array.from({ length: 10 }, (_, i) => i);
  const placed = heap.place([inside, outside, outside], [true, true, false], [64])!;
  t.is(placed.views[0], inside);
  t.true(heap.owns(placed.views[1]) && heap.owns(placed.views[2]) && placed.views[1] !== placed.views[2]);
  t.deepEqual(Array.from(placed.views[1]), Array.from(outside));
  t.is(placed.scratch[0].length, 64);
  placed.release();
  // the blocks came back: the same classes are taken again at the same places
  const again = heap.place([outside, outside], [false, false], [64])!;
  t.deepEqual([again.views[0].byteOffset, again.views[1].byteOffset].sort(), [placed.views[1].byteOffset, placed.views[2].byteOffset].sort());
  again.release();
  const used = heap.reservedBytes;
  t.is(heap.place([outside, new Float32Array(1 << 20)], [true, true]), null);
  // what it took before it ran out is free again: a block of that class comes from the same place
  t.is(heap.take(10)!.byteOffset, placed.views[1].byteOffset);
  t.true(heap.reservedBytes <= used + blockBytes(10));
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
